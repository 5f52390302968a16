import * as grpc from '@grpc/grpc-js';
import { StreamtuneError } from '../core/index.js';

/**
 * The one mapping from a streamtune error's `code` to what a caller sees: its
 * gRPC status and, for the REST endpoints (KServe v2 answers errors as
 * `{"error": …}`), that status's HTTP counterpart.
 */
const STATUS_BY_CODE: Record<string, { code: grpc.status; httpStatus: number }> = {
  invalid_input: { code: grpc.status.INVALID_ARGUMENT, httpStatus: 400 },
  model_not_found: { code: grpc.status.NOT_FOUND, httpStatus: 404 },
  closed: { code: grpc.status.UNAVAILABLE, httpStatus: 503 },
  broker_unavailable: { code: grpc.status.UNAVAILABLE, httpStatus: 503 },
  overloaded: { code: grpc.status.RESOURCE_EXHAUSTED, httpStatus: 429 },
  deadline_exceeded: { code: grpc.status.DEADLINE_EXCEEDED, httpStatus: 504 },
  unauthenticated: { code: grpc.status.UNAUTHENTICATED, httpStatus: 401 },
  permission_denied: { code: grpc.status.PERMISSION_DENIED, httpStatus: 403 },
  failed_precondition: { code: grpc.status.FAILED_PRECONDITION, httpStatus: 400 },
};

/**
 * Maps an error to the gRPC status (and HTTP status) the caller sees; only this
 * edge knows those codes. Anything else is INTERNAL (500).
 *
 * @example
 * toStatus(new ModelNotFoundError('no model "iris"')); // { code: grpc.status.NOT_FOUND, httpStatus: 404, details: 'no model "iris"' }
 */
export function toStatus(err: unknown): { code: grpc.status; httpStatus: number; details: string } {
  const known = err instanceof StreamtuneError ? STATUS_BY_CODE[err.code] : undefined;
  if (known) return { ...known, details: (err as StreamtuneError).message };
  return { code: grpc.status.INTERNAL, httpStatus: 500, details: `internal error: ${(err as Error).message ?? String(err)}` };
}
