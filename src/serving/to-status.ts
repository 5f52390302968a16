import * as grpc from '@grpc/grpc-js';
import { InvalidInputError, ModelNotFoundError, StreamtuneError } from '../core/index.js';

const BY_CODE: Record<string, grpc.status> = {
  closed: grpc.status.UNAVAILABLE,
  overloaded: grpc.status.RESOURCE_EXHAUSTED,
  deadline_exceeded: grpc.status.DEADLINE_EXCEEDED,
  unauthenticated: grpc.status.UNAUTHENTICATED,
  permission_denied: grpc.status.PERMISSION_DENIED,
  failed_precondition: grpc.status.FAILED_PRECONDITION,
};

/** Maps an error to the gRPC status the caller sees; only this edge knows gRPC codes. */
export function toStatus(err: unknown): { code: grpc.status; details: string } {
  if (err instanceof InvalidInputError) return { code: grpc.status.INVALID_ARGUMENT, details: err.message };
  if (err instanceof ModelNotFoundError) return { code: grpc.status.NOT_FOUND, details: err.message };
  if (err instanceof StreamtuneError && BY_CODE[err.code] !== undefined) return { code: BY_CODE[err.code]!, details: err.message };
  return { code: grpc.status.INTERNAL, details: `internal error: ${(err as Error).message ?? String(err)}` };
}

/** The HTTP status of a gRPC status, for the REST endpoints (KServe v2 answers errors as `{"error": …}`). */
export function toHttpStatus(code: grpc.status): number {
  switch (code) {
    case grpc.status.OK:
      return 200;
    case grpc.status.INVALID_ARGUMENT:
    case grpc.status.FAILED_PRECONDITION:
      return 400;
    case grpc.status.UNAUTHENTICATED:
      return 401;
    case grpc.status.NOT_FOUND:
      return 404;
    case grpc.status.RESOURCE_EXHAUSTED:
      return 429;
    case grpc.status.CANCELLED:
      return 499;
    case grpc.status.UNAVAILABLE:
      return 503;
    case grpc.status.DEADLINE_EXCEEDED:
      return 504;
    default:
      return 500;
  }
}
