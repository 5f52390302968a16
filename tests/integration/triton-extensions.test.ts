/**
 * Triton's model configuration, statistics and model repository extensions, numeric
 * versions, the `timeout` parameter and input names, called with NVIDIA's
 * tritonclient over HTTP and gRPC as a Triton user calls them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, tritonPython } from '../helpers/outside-tools.js';
import { startServingFixture, type ServingFixture } from '../helpers/serving-fixture.js';
import * as path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const TOKEN = 'triton-admin-token';

type Seen = Record<string, unknown>;
interface Stats {
  model_stats: { name: string; version: string; inference_count: string | number; execution_count: string | number; last_inference: string | number; inference_stats: Record<string, { count?: string | number; ns?: string | number }> }[];
}

describe('Triton extensions with tritonclient (HTTP and gRPC)', () => {
  let fx: ServingFixture;
  let seen: { http: Seen; grpc: Seen };

  beforeAll(async () => {
    fx = await startServingFixture({ versions: 1, serving: { adminToken: TOKEN, batching: { maxBatchSize: 32, maxQueueDelayMs: 2 } } });
    const rest = new URL(fx.app.grpc!.rest!.url).host;
    const r = await run(tritonPython(), [path.join(ROOT, 'tests', 'fixtures', 'tritonclient_extensions_check.py'), rest, fx.app.grpc!.address, TOKEN], { timeoutMs: 120_000 });
    expect({ status: r.status, stderr: r.stderr }).toMatchObject({ status: 0 });
    seen = JSON.parse(r.stdout) as typeof seen;
  }, 180_000);

  afterAll(async () => {
    await fx?.close();
  });

  it('get_model_config answers Triton\'s ModelConfig on both protocols, for numeric versions too', () => {
    for (const protocol of ['http', 'grpc'] as const) {
      const s = seen[protocol];
      // Triton's REST answers the configuration; its gRPC wraps it in `config`.
      const config = (protocol === 'grpc' ? (s.config as { config: unknown }).config : s.config) as Record<string, unknown>;
      expect({ protocol, config }).toMatchObject({
        protocol,
        config: {
          name: 'm',
          platform: 'tensorflowjs',
          backend: 'streamtune',
          max_batch_size: 32,
          input: [{ name: 'input', data_type: 'TYPE_FP32', dims: [expect.anything()] }],
          output: [
            { name: 'probabilities', data_type: 'TYPE_FP32' },
            { name: 'label', data_type: 'TYPE_STRING', reshape: {} },
            { name: 'confidence', data_type: 'TYPE_FP32', reshape: {} },
          ],
          dynamic_batching: { max_queue_delay_microseconds: expect.anything() },
          parameters: { serving_version: { string_value: 'v1' }, labels: { string_value: '["a","b","c"]' } },
        },
      });
      const input = (config.input as { dims: (string | number)[] }[])[0]!;
      expect(input.dims.map(Number)).toEqual([4]);
      expect(Number((config.dynamic_batching as { max_queue_delay_microseconds: string }).max_queue_delay_microseconds)).toBe(2000);
      expect((config.version_policy as { specific: { versions: (string | number)[] } }).specific.versions.map(Number)).toEqual([1]);
      expect(s.config_v1).toEqual(s.config);
      expect(s.config_v9).toMatchObject({ message: expect.stringMatching(/version "v9" of "m" is not loaded/) });
    }
  });

  it('numeric versions resolve to vN: is_model_ready, metadata and infer', () => {
    for (const protocol of ['http', 'grpc'] as const) {
      const s = seen[protocol];
      expect({ protocol, ready1: s.ready_1, ready9: s.ready_9, version: s.infer_version }).toEqual({ protocol, ready1: true, ready9: false, version: 'v1' });
      expect(s.metadata_1).toMatchObject({ name: 'm', versions: ['v1'] });
      expect((s.infer_labels as string[]).length).toBe(2);
    }
  });

  it('timeout (µs) is a deadline; a misnamed input is refused naming it', () => {
    expect(seen.http.timeout_1us).toMatchObject({ status: '504', message: expect.stringMatching(/deadline passed/) });
    expect(seen.grpc.timeout_1us).toMatchObject({ status: 'StatusCode.DEADLINE_EXCEEDED', message: expect.stringMatching(/deadline passed/) });
    expect(seen.http.timeout_10s).toBe(2);
    expect(seen.grpc.timeout_10s).toBe(2);
    const misnamed = /^inputs\[0\]\.name: "INPUT0" is not an input of the model \(its input: "input"\)$/;
    expect(seen.http.misnamed).toEqual({ status: '400', message: expect.stringMatching(misnamed) });
    expect(seen.grpc.misnamed).toEqual({ status: 'StatusCode.INVALID_ARGUMENT', message: expect.stringMatching(misnamed) });
  });

  it('get_inference_statistics counts what each protocol ran, per version and for every model', () => {
    // HTTP ran first (2 rows at version 1, 2 rows with a 10 s timeout); gRPC saw those and its own 4.
    for (const [protocol, rowsBefore] of [['http', 4], ['grpc', 8]] as const) {
      const stats = seen[protocol].stats as Stats;
      expect(stats.model_stats.map((m) => `${m.name}@${m.version}`)).toEqual(['m@v1']);
      const m = stats.model_stats[0]!;
      expect({ protocol, rows: Number(m.inference_count) }).toEqual({ protocol, rows: rowsBefore });
      expect(Number(m.execution_count)).toBeGreaterThanOrEqual(1);
      expect(Number(m.execution_count)).toBeLessThanOrEqual(rowsBefore / 2);
      expect(Number(m.last_inference)).toBeGreaterThan(Date.parse('2020-01-01'));
      expect(Number(m.inference_stats.success!.count)).toBe(rowsBefore / 2);
      expect(Number(m.inference_stats.queue!.count)).toBe(rowsBefore / 2);
      expect(Number(m.inference_stats.compute_infer!.ns)).toBeGreaterThan(0);
      expect((seen[protocol].stats_v1 as Stats).model_stats.map((x) => x.version)).toEqual(['v1']);
      expect((seen[protocol].stats_all as Stats).model_stats.map((x) => x.name)).toEqual(['m']);
    }
  });

  it('the repository index lists the models; unload needs the admin token, stops the model until load', () => {
    for (const protocol of ['http', 'grpc'] as const) {
      const s = seen[protocol];
      const models = (i: unknown): unknown => (protocol === 'grpc' ? (i as { models: unknown }).models : i);
      expect(models(s.index)).toEqual([{ name: 'm', version: 'v1', state: 'READY' }].map((e) => (protocol === 'http' ? { ...e, reason: '' } : e)));
      expect(s.unload_no_token).toMatchObject({ status: protocol === 'http' ? '401' : 'StatusCode.UNAUTHENTICATED', message: expect.stringMatching(/authorization: Bearer/) });
      expect(s.unload_wrong_token).toMatchObject({ status: protocol === 'http' ? '401' : 'StatusCode.UNAUTHENTICATED', message: 'the admin token is wrong' });
      expect(s.ready_after_refused_unload).toBe(true);
      expect(s.ready_after_unload).toBe(false);
      expect(models(s.index_after_unload)).toEqual([{ name: 'm', version: 'v1', state: 'UNAVAILABLE', reason: 'unloaded' }]);
      expect(s.infer_after_unload).toMatchObject({ status: protocol === 'http' ? '404' : 'StatusCode.NOT_FOUND', message: expect.stringMatching(/model "m" is unloaded/) });
      expect(s.ready_after_load).toBe(true);
      expect(s.load_unknown).toMatchObject({ status: protocol === 'http' ? '404' : 'StatusCode.NOT_FOUND', message: expect.stringMatching(/model "nope" is not served here/) });
    }
  });
});
