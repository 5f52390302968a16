import { z } from 'zod';

/**
 * `kafka.ssl`: TLS to the brokers (an SSL or SASL_SSL listener). The section's
 * presence turns TLS on; files are PEM and read when a client is made, so a
 * renewed certificate is picked up by the next client without a restart.
 *
 * @example
 * { "caFile": "/etc/streamtune/kafka-ca.pem", "certFile": "/etc/streamtune/client.pem", "keyFile": "/etc/streamtune/client.key" }
 */
export const kafkaSslSchema = z
  .object({
    /** false: plaintext after all (STREAMTUNE_KAFKA_SSL=0 over a config file that sets TLS up). @defaultValue true */
    enabled: z.boolean().default(true),
    /** CA certificate(s) that signed the brokers' certificates. None: Node's bundled public CAs (a managed Kafka's usual case). */
    caFile: z.string().min(1).optional(),
    /** mTLS: the certificate (chain) this client presents; with keyFile. */
    certFile: z.string().min(1).optional(),
    /** mTLS: the unencrypted private key of certFile. */
    keyFile: z.string().min(1).optional(),
    /** false accepts any certificate a broker shows: it defeats TLS, for a throwaway test cluster only. @defaultValue true */
    rejectUnauthorized: z.boolean().default(true),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (!s.certFile !== !s.keyFile) {
      ctx.addIssue({ code: 'custom', path: [s.certFile ? 'keyFile' : 'certFile'], message: 'a client certificate needs both certFile and keyFile' });
    }
  });

/** SASL mechanisms of a Kafka listener that streamtune logs in with (Kafka's own spelling is accepted too). */
export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

/**
 * `kafka.sasl`: who this client logs in as. The password is given inline or,
 * better, as a file (read when a client is made; a trailing newline is dropped),
 * never both. Without `kafka.ssl` SASL runs over plaintext (SASL_PLAINTEXT):
 * PLAIN then sends the password readable to anyone on the path.
 *
 * @example
 * { "mechanism": "scram-sha-512", "username": "streamtune", "passwordFile": "/run/secrets/kafka-password" }
 */
export const kafkaSaslSchema = z
  .object({
    mechanism: z.string().toLowerCase().pipe(z.enum(SASL_MECHANISMS)),
    username: z.string().min(1),
    password: z.string().min(1).optional(),
    passwordFile: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.password === undefined && s.passwordFile === undefined) {
      ctx.addIssue({ code: 'custom', path: ['passwordFile'], message: 'give the password as passwordFile (or password)' });
    } else if (s.password !== undefined && s.passwordFile !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['password'], message: 'give password or passwordFile, not both' });
    }
  });
