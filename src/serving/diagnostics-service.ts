import type * as grpc from '@grpc/grpc-js';

/**
 * `streamtune.v1.Diagnostics`: `Echo` answers with its payload and touches nothing
 * else (no model, no metrics), so its throughput is the gRPC stack's own limit on
 * this machine — the baseline the serving benchmark compares Predict with.
 */
export function diagnosticsHandlers(): grpc.UntypedServiceImplementation {
  return {
    Echo(call: grpc.ServerUnaryCall<{ payload: Buffer }, { payload: Buffer }>, cb: grpc.sendUnaryData<{ payload: Buffer }>) {
      cb(null, { payload: call.request.payload });
    },
  };
}
