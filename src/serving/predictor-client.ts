import * as grpc from '@grpc/grpc-js';
import { predictorClientConstructor } from './proto.js';
import { waitForConnection } from './wait-for-connection.js';
import type { WireModelInfo, WirePredictResponse } from './wire-types.js';

/** One instance as the TS client sends it. */
export type ClientInstance = { features: number[] } | { text: string } | { image: Uint8Array } | { audio: Uint8Array };

const toWireInstance = (i: ClientInstance): Record<string, unknown> =>
  'features' in i ? { features: { values: i.features } } : 'text' in i ? { text: i.text } : 'image' in i ? { image: Buffer.from(i.image) } : { audio: Buffer.from(i.audio) };

/**
 * A small promise-based client of `streamtune.v1.Predictor`.
 *
 * @example
 * const c = new PredictorClient('127.0.0.1:50051');
 * const res = await c.predict([{ features: [0, 1, 2] }]);
 * console.log(res.version, res.predictions[0].label);
 */
export class PredictorClient {
  private readonly client: grpc.Client & Record<string, (...args: unknown[]) => unknown>;

  constructor(address: string, credentials = grpc.credentials.createInsecure()) {
    const Ctor = predictorClientConstructor();
    this.client = new Ctor(address, credentials) as unknown as PredictorClient['client'];
  }

  predict(instances: ClientInstance[], opts: { model?: string; version?: string; deadlineMs?: number } = {}): Promise<WirePredictResponse> {
    return new Promise((resolve, reject) => {
      this.client.Predict!(
        { model: opts.model ?? '', version: opts.version ?? '', instances: instances.map(toWireInstance) },
        { deadline: Date.now() + (opts.deadlineMs ?? 10_000) },
        (err: grpc.ServiceError | null, res: WirePredictResponse) => (err ? reject(err) : resolve(res)),
      );
    });
  }

  getModel(model = ''): Promise<WireModelInfo> {
    return new Promise((resolve, reject) => {
      this.client.GetModel!({ model }, { deadline: Date.now() + 10_000 }, (err: grpc.ServiceError | null, res: WireModelInfo) =>
        err ? reject(err) : resolve(res),
      );
    });
  }

  /** Resolves when connected; rejects (UNAVAILABLE) at once when the connection is refused, or after `timeoutMs`. */
  connect(timeoutMs = 5000): Promise<void> {
    return waitForConnection(this.client, timeoutMs);
  }

  close(): void {
    this.client.close();
  }
}
