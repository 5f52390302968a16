import * as grpc from '@grpc/grpc-js';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WirePredictResponse } from '../../src/serving/index.js';
import { clientOf, unary, type AnyClient } from '../helpers/grpc-call.js';
import { startServingFixture, type ServingFixture } from '../helpers/serving-fixture.js';

const VERSIONS = 10;
const SWAPS = 200;

describe(`${SWAPS} hot-swaps under concurrent Predict and PredictStream callers`, () => {
  let fx: ServingFixture;
  let predictor: AnyClient;

  beforeAll(async () => {
    // Two warm versions and ten on disk: cycling through them makes every swap a real load from the store.
    fx = await startServingFixture({ versions: VERSIONS, serving: { keepWarmVersions: 2 } });
    predictor = clientOf('streamtune.v1.Predictor', fx.app.grpc!.address);
  });

  afterAll(async () => {
    predictor?.close();
    await fx?.close();
  });

  it('no call fails, every answer names a real version, tensors are disposed after drain', async () => {
    await fx.app.swapTo('v2'); // the warm set is full from here on
    const tensorsWarm = tf.memory().numTensors;
    const failures: string[] = [];
    const seen = new Set<string>();
    let unaryCalls = 0;
    let streamAnswers = 0;
    let running = true;
    const row = (): { features: { values: number[] } } => ({ features: { values: [Math.random(), 1, 2, 3] } });

    const unaryCallers = Array.from({ length: 6 }, async () => {
      while (running) {
        try {
          const r = await unary<WirePredictResponse>(predictor, 'Predict', { instances: [row(), row()] });
          if (r.predictions.length !== 2) failures.push(`Predict answered ${r.predictions.length} predictions`);
          seen.add(r.version);
          unaryCalls++;
        } catch (err) {
          failures.push(`Predict: ${(err as Error).message}`);
        }
      }
    });
    const streamCallers = Array.from({ length: 2 }, async (_, s) => {
      const call = (predictor.PredictStream as () => grpc.ClientDuplexStream<unknown, WirePredictResponse>)();
      let sent = 0;
      let answered = 0;
      const finished = new Promise<void>((resolve) => {
        call.on('data', (r: WirePredictResponse) => {
          answered++;
          streamAnswers++;
          if (r.error) failures.push(`PredictStream: ${r.error.message}`);
          else seen.add(r.version);
          // Keep a window of 4 requests in flight on each stream.
          if (running) call.write({ requestId: `${s}-${sent++}`, instances: [row()] });
          else if (answered === sent) call.end();
        });
        call.on('error', (err) => {
          failures.push(`PredictStream: ${err.message}`);
          resolve();
        });
        call.on('end', () => resolve());
      });
      for (let i = 0; i < 4; i++) call.write({ requestId: `${s}-${sent++}`, instances: [row()] });
      await finished;
    });

    for (let i = 0; i < SWAPS; i++) {
      await fx.app.swapTo(`v${((i + 2) % VERSIONS) + 1}`); // v3, v4, … v10, v1, v2, …
      if (i % 10 === 0) await new Promise((r) => setImmediate(r)); // let calls land between swaps
    }
    running = false;
    await Promise.all([...unaryCallers, ...streamCallers]);

    expect(failures).toEqual([]);
    expect(unaryCalls).toBeGreaterThan(0);
    expect(streamAnswers).toBeGreaterThan(0);
    expect([...seen].every((v) => /^v([1-9]|10)$/.test(v))).toBe(true);
    expect(seen.size).toBeGreaterThan(1);
    expect(fx.app.holder.served.length).toBe(SWAPS + 2);
    // Two versions are held again: every one of the 200 loads was disposed once its calls drained.
    expect(fx.app.holder.loadedVersions).toHaveLength(2);
    expect(tf.memory().numTensors).toBe(tensorsWarm);
    const text = await (await fetch(fx.app.metricsUrl)).text();
    expect(Number(/^streamtune_model_swaps_total\{model="m",result="ok"\} (\d+)/m.exec(text)?.[1])).toBe(SWAPS + 2);
    // Every code's series is exported from the start (at 0): no call ended with any code but OK.
    expect(text).toMatch(/^streamtune_predict_requests_total\{method="Predict",code="INTERNAL"\} 0$/m);
    expect(text).not.toMatch(/^streamtune_predict_requests_total\{method="Predict(Stream)?",code="(?!OK")[A-Z_]+"\} (?!0$)/m);
  });
});
