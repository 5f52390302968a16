import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** The repository's `proto/` directory (found from this file in src/ or dist/). */
export const PROTO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'proto');

export const PROTO_FILES = [
  'streamtune/v1/predictor.proto',
  'streamtune/v1/admin.proto',
  'streamtune/v1/diagnostics.proto',
  'inference/grpc_predict_v2.proto',
  'inference/triton_extensions.proto',
];

/** Loader options shared by server and clients: oneof names are reported, 64-bit ints as strings. */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

let cached: { packageDefinition: protoLoader.PackageDefinition; grpcObject: grpc.GrpcObject } | undefined;

/** Loads streamtune's protos once per process. */
export function loadProtos(): { packageDefinition: protoLoader.PackageDefinition; grpcObject: grpc.GrpcObject } {
  if (!cached) {
    const packageDefinition = protoLoader.loadSync(PROTO_FILES, LOADER_OPTIONS);
    cached = { packageDefinition, grpcObject: grpc.loadPackageDefinition(packageDefinition) };
  }
  return cached;
}

/** The `streamtune.v1.Predictor` service definition. */
export function predictorService(): grpc.ServiceDefinition {
  const v1 = (loadProtos().grpcObject.streamtune as grpc.GrpcObject).v1 as grpc.GrpcObject;
  return (v1.Predictor as grpc.ServiceClientConstructor).service;
}

/** A client constructor for `streamtune.v1.Predictor`. */
export function predictorClientConstructor(): grpc.ServiceClientConstructor {
  const v1 = (loadProtos().grpcObject.streamtune as grpc.GrpcObject).v1 as grpc.GrpcObject;
  return v1.Predictor as grpc.ServiceClientConstructor;
}

/** A service constructor by its full name, e.g. `streamtune.v1.ModelAdmin` or `inference.GRPCInferenceService`. */
export function serviceConstructor(fullName: string): grpc.ServiceClientConstructor {
  let node: unknown = loadProtos().grpcObject;
  for (const part of fullName.split('.')) node = (node as grpc.GrpcObject)[part];
  if (typeof node !== 'function') throw new Error(`no service ${fullName} in ${PROTO_FILES.join(', ')}`);
  return node as grpc.ServiceClientConstructor;
}
