import * as fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { ConfigError } from '../core/index.js';

/** TLS files (PEM). With `clientCaFile`, clients must present a certificate it signed (mTLS). */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
  clientCaFile?: string;
}

function read(key: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new ConfigError(key, `cannot read ${file}: ${(err as Error).message}`);
  }
}

/** Server credentials: TLS (optionally mutual) when configured, else plaintext. */
export function serverCredentials(tls?: TlsFiles): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  const ca = tls.clientCaFile ? read('serving.tls.clientCaFile', tls.clientCaFile) : null;
  return grpc.ServerCredentials.createSsl(
    ca,
    [{ private_key: read('serving.tls.keyFile', tls.keyFile), cert_chain: read('serving.tls.certFile', tls.certFile) }],
    ca !== null,
  );
}

/** The same TLS files for the HTTPS (REST) port: key and certificate, and with a client CA, client certificates required. */
export function httpsOptions(tls: TlsFiles): { key: Buffer; cert: Buffer; ca?: Buffer; requestCert?: boolean; rejectUnauthorized?: boolean } {
  const ca = tls.clientCaFile ? read('serving.tls.clientCaFile', tls.clientCaFile) : undefined;
  return {
    key: read('serving.tls.keyFile', tls.keyFile),
    cert: read('serving.tls.certFile', tls.certFile),
    ...(ca ? { ca, requestCert: true, rejectUnauthorized: true } : {}),
  };
}
