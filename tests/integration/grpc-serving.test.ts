import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as tf from '@tensorflow/tfjs';
import { service as healthService } from 'grpc-health-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamtuneServer } from '../../src/app/streamtune-server.js';
import { loadConfig } from '../../src/core/index.js';
import { DenseClassifier } from '../../src/learners/index.js';
import { PredictorClient } from '../../src/serving/index.js';
import { useTestBackend } from '../helpers/test-backend.js';
import { waitFor } from '../helpers/wait-for.js';

const VERSIONS = 25;

describe('gRPC serving over a real socket', () => {
  let dir: string;
  let app: StreamtuneServer;
  let client: PredictorClient;

  beforeAll(async () => {
    const backend = await useTestBackend();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-grpc-'));
    const config = loadConfig({
      overrides: { model: 'm', registryDir: dir, backend, serving: { port: 0, http: { port: 0 }, keepWarmVersions: 1 }, metrics: { port: 0 }, training: { enabled: false } },
    });
    app = new StreamtuneServer(config, () => undefined);
    // 25 versions with different weights, saved as the trainer would save them.
    for (let i = 1; i <= VERSIONS; i++) {
      const l = new DenseClassifier({ featureSpec: { kind: 'features', dim: 4 }, labels: ['a', 'b', 'c'], hiddenUnits: [16], seed: i });
      await app.store.save('m', l, { parent: i > 1 ? `v${i - 1}` : null, regime: 'test', backend, examplesSeen: i, metrics: {}, offsets: {} });
      l.dispose();
    }
    await fs.writeFile(path.join(dir, 'm', 'LATEST'), 'v1');
    await app.start();
    client = new PredictorClient(app.grpc!.address);
  });

  afterAll(async () => {
    client?.close();
    await app?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('answers Predict and GetModel, naming the version that answered', async () => {
    const res = await client.predict([{ features: [1, 2, 3, 4] }, { features: [0, 0, 0, 1] }]);
    expect(res.model).toBe('m');
    expect(res.version).toBe('v1');
    expect(res.predictions).toHaveLength(2);
    const p = res.predictions[0]!;
    expect(['a', 'b', 'c']).toContain(p.label);
    expect(Object.values(p.scores).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 4);
    expect(p.confidence).toBeCloseTo(Math.max(...Object.values(p.scores)), 5);
    const info = await client.getModel();
    expect(info).toMatchObject({ name: 'm', version: 'v1', task: 'classification', labels: ['a', 'b', 'c'], inputKind: 'features', inputDim: 4 });
    expect(info.backend).toBe(tf.getBackend());
  });

  it('answers INVALID_ARGUMENT naming the field, NOT_FOUND for unknown models and versions', async () => {
    const code = async (p: Promise<unknown>): Promise<[number, string]> => {
      try {
        await p;
      } catch (err) {
        return [(err as grpc.ServiceError).code, (err as grpc.ServiceError).details];
      }
      throw new Error('expected an error');
    };
    const [c1, d1] = await code(client.predict([{ features: [1, 2, 3, 4] }, { features: [1, 2] }]));
    expect(c1).toBe(grpc.status.INVALID_ARGUMENT);
    expect(d1).toMatch(/instances\[1\]\.features has 2 values, model expects 4/);
    const [c2, d2] = await code(client.predict([{ text: 'hello' }]));
    expect(c2).toBe(grpc.status.INVALID_ARGUMENT);
    expect(d2).toMatch(/instances\[0\]: model expects "features"/);
    expect((await code(client.predict([])))[0]).toBe(grpc.status.INVALID_ARGUMENT);
    expect(await code(client.predict([{ features: [1, 2, 3, 4] }], { model: 'other' }))).toEqual([grpc.status.NOT_FOUND, expect.stringMatching(/"other"/)]);
    expect((await code(client.predict([{ features: [1, 2, 3, 4] }], { version: 'v99' })))[0]).toBe(grpc.status.NOT_FOUND);
  });

  it('reports SERVING on the standard health service', async () => {
    const Health = grpc.makeGenericClientConstructor(healthService, 'Health');
    const health = new Health(app.grpc!.address, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
      check(req: { service: string }, cb: (e: grpc.ServiceError | null, r: { status: string }) => void): void;
    };
    const status = await new Promise<string>((resolve, reject) => health.check({ service: 'streamtune.v1.Predictor' }, (e, r) => (e ? reject(e) : resolve(r.status))));
    health.close();
    expect(status).toBe('SERVING');
  });

  it(`hot-swaps ${VERSIONS - 1} versions under concurrent calls: no call fails, every answer names a real version, no tensor leaks`, async () => {
    const existing = new Set(await app.store.list('m'));
    const seen = new Set<string>();
    const failures: string[] = [];
    let calls = 0;
    let running = true;
    const callers = Array.from({ length: 8 }, async () => {
      while (running) {
        try {
          const r = await client.predict([{ features: [Math.random(), 1, 2, 3] }]);
          seen.add(r.version);
          calls++;
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
    });
    // Wait for answers, not for a time: the first one, then one from each version swapped in.
    await waitFor('a first answer', () => calls > 0 || failures.length > 0);
    const tensorsServingOne = tf.memory().numTensors;
    for (let i = 2; i <= VERSIONS && failures.length === 0; i++) {
      await app.swapTo(`v${i}`);
      await waitFor(`an answer from v${i}`, () => seen.has(`v${i}`) || failures.length > 0);
    }
    running = false;
    await Promise.all(callers);
    expect(failures).toEqual([]);
    expect(calls).toBeGreaterThan(VERSIONS);
    expect([...seen].every((v) => existing.has(v))).toBe(true);
    expect(seen.size).toBe(VERSIONS);
    expect(app.holder.version).toBe(`v${VERSIONS}`);
    // One version is held again: the 24 retired ones were disposed after their calls drained.
    expect(tf.memory().numTensors).toBe(tensorsServingOne);
    const last = await client.predict([{ features: [1, 1, 1, 1] }]);
    expect(last.version).toBe(`v${VERSIONS}`);
  });

  it('a version that fails to load is not swapped in; the old one keeps serving', async () => {
    const before = app.holder.version;
    await expect(app.swapTo('v404')).rejects.toThrow(/no version "v404"/);
    expect(app.holder.version).toBe(before);
    expect((await client.predict([{ features: [1, 1, 1, 1] }])).version).toBe(before);
  });

  it('exports the metrics over HTTP', async () => {
    const text = await (await fetch(app.metricsUrl)).text();
    const value = (re: RegExp): number => Number(re.exec(text)?.[1] ?? Number.NaN);
    expect(value(/^streamtune_predict_requests_total\{method="Predict",code="OK"\} (\d+)/m)).toBeGreaterThan(VERSIONS);
    expect(value(/^streamtune_predict_requests_total\{method="Predict",code="INVALID_ARGUMENT"\} (\d+)/m)).toBe(3);
    expect(value(/^streamtune_model_swaps_total\{model="m",result="ok"\} (\d+)/m)).toBe(VERSIONS);
    expect(value(/^streamtune_model_swaps_total\{model="m",result="failed"\} (\d+)/m)).toBe(1);
    expect(text).toMatch(new RegExp(`^streamtune_model_info\\{model="m",version="v${VERSIONS}",backend="${tf.getBackend()}"\\} 1`, 'm'));
    expect(value(/^streamtune_predict_latency_seconds_count\{method="Predict"\} (\d+)/m)).toBeGreaterThan(VERSIONS);
    expect(text).toMatch(/^streamtune_backend_info\{role="serving",backend="\w+"\} 1/m);
  });
});
