import * as grpc from '@grpc/grpc-js';
import { serviceConstructor } from '../../src/serving/index.js';

export type AnyClient = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

/** A client of any service in proto/ by its full name. */
export function clientOf(service: string, address: string, credentials = grpc.credentials.createInsecure()): AnyClient {
  const Ctor = serviceConstructor(service);
  return new Ctor(address, credentials) as unknown as AnyClient;
}

/** Calls a unary method; resolves with the response or rejects with the ServiceError. */
export function unary<T>(client: AnyClient, method: string, req: unknown, opts: { metadata?: grpc.Metadata; deadlineMs?: number } = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    client[method]!(req, opts.metadata ?? new grpc.Metadata(), { deadline: Date.now() + (opts.deadlineMs ?? 10_000) }, (err: grpc.ServiceError | null, res: T) =>
      err ? reject(err) : resolve(res),
    );
  });
}

/** The status code and details of a call that must fail. */
export async function failure(p: Promise<unknown>): Promise<{ code: grpc.status; details: string }> {
  try {
    await p;
  } catch (err) {
    return { code: (err as grpc.ServiceError).code, details: (err as grpc.ServiceError).details };
  }
  throw new Error('expected the call to fail');
}

/** Bearer metadata for ModelAdmin calls. */
export function bearer(token: string): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${token}`);
  return md;
}
