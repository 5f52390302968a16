import * as grpc from '@grpc/grpc-js';
import { serviceConstructor, waitForConnection } from '../serving/index.js';

type Client = grpc.Client & Record<string, (...a: unknown[]) => void>;

/** Default gRPC address of a local server. */
export const defaultAddress = (): string => `127.0.0.1:${process.env.STREAMTUNE_GRPC_PORT ?? 50051}`;

/**
 * Calls one unary RPC of a streamtune server (plaintext), with the admin token
 * from STREAMTUNE_ADMIN_TOKEN as `authorization: Bearer <token>` when set. It
 * connects first (failing at once when refused, after 5 s when nothing answers),
 * then gives the call `timeoutMs` (a Pin may load and warm a version).
 *
 * @example
 * const info = await callRpc('127.0.0.1:50051', 'streamtune.v1.Predictor', 'GetModel', { model: '' });
 */
export async function callRpc<T>(address: string, service: string, method: string, req: object, timeoutMs = 30_000): Promise<T> {
  const Ctor = serviceConstructor(service);
  const client = new Ctor(address, grpc.credentials.createInsecure()) as unknown as Client;
  const metadata = new grpc.Metadata();
  if (process.env.STREAMTUNE_ADMIN_TOKEN) metadata.set('authorization', `Bearer ${process.env.STREAMTUNE_ADMIN_TOKEN}`);
  try {
    await waitForConnection(client, Math.min(5000, timeoutMs));
    return await new Promise<T>((resolve, reject) =>
      client[method]!(req, metadata, { deadline: Date.now() + timeoutMs }, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res))),
    );
  } finally {
    client.close();
  }
}
