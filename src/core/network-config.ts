import { z } from 'zod';

/** TLS files (PEM): server certificate and key; with `clientCaFile`, clients must present a certificate it signed (mTLS). */
export const tlsFilesSchema = z
  .object({
    certFile: z.string().min(1),
    keyFile: z.string().min(1),
    clientCaFile: z.string().min(1).optional(),
  })
  .strict();

/** Hosts that only this machine reaches. Other 127.x addresses are left out on purpose: one short list, the same for every port. */
export function isLoopbackHost(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1';
}

/**
 * The rule every listening port follows: plaintext on loopback only, unless the
 * section has `tls` or says `allowPlaintextNetwork: true`. The issue names
 * `<section>.tls`, so a bad setting fails at start naming the key.
 *
 * @example
 * z.object({ host, tls: tlsFilesSchema.optional(), allowPlaintextNetwork }).superRefine(loopbackUnlessTls('metrics', 'plaintext metrics are served on loopback only'))
 */
export function loopbackUnlessTls(section: string, rule: string) {
  return (s: { host: string; tls?: unknown; allowPlaintextNetwork: boolean }, ctx: z.RefinementCtx): void => {
    if (isLoopbackHost(s.host) || s.tls || s.allowPlaintextNetwork) return;
    ctx.addIssue({
      code: 'custom',
      path: ['tls'],
      message: `${rule}: set ${section}.tls (certFile, keyFile) to serve on "${s.host}", or ${section}.allowPlaintextNetwork=true`,
    });
  };
}
