import * as fs from 'node:fs';
import { ConfigError } from './streamtune-error.js';

/** TLS files (PEM). With `clientCaFile`, clients must present a certificate it signed (mTLS). */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
  clientCaFile?: string;
}

/** Reads one PEM file, or fails naming the key that points at it (`serving.tls.keyFile`). */
export function readTlsFile(key: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new ConfigError(key, `cannot read ${file}: ${(err as Error).message}`);
  }
}

/**
 * Options of `https.createServer` from TLS files: key and certificate, and with a
 * client CA, client certificates required. `section` names the keys in errors.
 *
 * @example
 * https.createServer(httpsOptions(config.metrics.tls, 'metrics.tls'), handler);
 */
export function httpsOptions(tls: TlsFiles, section = 'serving.tls'): { key: Buffer; cert: Buffer; ca?: Buffer; requestCert?: boolean; rejectUnauthorized?: boolean } {
  const ca = tls.clientCaFile ? readTlsFile(`${section}.clientCaFile`, tls.clientCaFile) : undefined;
  return {
    key: readTlsFile(`${section}.keyFile`, tls.keyFile),
    cert: readTlsFile(`${section}.certFile`, tls.certFile),
    ...(ca ? { ca, requestCert: true, rejectUnauthorized: true } : {}),
  };
}
