import * as grpc from '@grpc/grpc-js';
import { readTlsFile, type TlsFiles } from '../core/index.js';

/** Server credentials: TLS (optionally mutual) when configured, else plaintext. */
export function serverCredentials(tls?: TlsFiles): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  const ca = tls.clientCaFile ? readTlsFile('serving.tls.clientCaFile', tls.clientCaFile) : null;
  return grpc.ServerCredentials.createSsl(
    ca,
    [{ private_key: readTlsFile('serving.tls.keyFile', tls.keyFile), cert_chain: readTlsFile('serving.tls.certFile', tls.certFile) }],
    ca !== null,
  );
}
