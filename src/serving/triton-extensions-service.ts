import type * as grpc from '@grpc/grpc-js';
import type { Metrics } from '../ops/index.js';
import { requireBearer, type AdminAuth } from './admin-auth.js';
import type { TritonExtensions } from './triton-extensions.js';
import { unaryHandler } from './unary-handler.js';

interface RepositoryRequest {
  repositoryName: string;
  modelName: string;
  parameters: Record<string, unknown>;
}

/**
 * Handlers of Triton's extensions in `inference.GRPCInferenceService`:
 * `ModelConfig`, `ModelStatistics`, `RepositoryIndex`, and `RepositoryModelLoad`
 * / `RepositoryModelUnload`, which need the admin token as ModelAdmin does.
 */
export function tritonExtensionHandlers(ext: TritonExtensions, metrics: Metrics, auth: AdminAuth): grpc.UntypedServiceImplementation {
  return {
    ModelConfig: unaryHandler<{ name: string; version: string }, unknown>('ModelConfig', metrics, (call) => ({ config: ext.config(call.request.name, call.request.version) })),
    ModelStatistics: unaryHandler<{ name: string; version: string }, unknown>('ModelStatistics', metrics, (call) => ({
      modelStats: ext.statistics(call.request.name, call.request.version),
    })),
    RepositoryIndex: unaryHandler<{ ready: boolean }, unknown>('RepositoryIndex', metrics, (call) => ({ models: ext.repositoryIndex(call.request.ready) })),
    RepositoryModelLoad: unaryHandler<RepositoryRequest, object>('RepositoryModelLoad', metrics, (call) => {
      requireBearer(call.metadata, auth);
      ext.load(call.request.modelName, call.request.parameters ?? {}, 'model_name');
      return {};
    }),
    RepositoryModelUnload: unaryHandler<RepositoryRequest, object>('RepositoryModelUnload', metrics, (call) => {
      requireBearer(call.metadata, auth);
      ext.unload(call.request.modelName, 'model_name');
      return {};
    }),
  };
}
