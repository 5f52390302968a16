import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/ops/index.js';
import { VersionStore } from '../../src/registry/index.js';
import { ModelFleet, ModelHolder, PredictionServer, VersionControl, type WireModelEvent, type WirePredictResponse } from '../../src/serving/index.js';
import { bearer, clientOf, failure, unary, type AnyClient } from '../helpers/grpc-call.js';
import { startServingFixture, type ServingFixture } from '../helpers/serving-fixture.js';
import { waitFor } from '../helpers/wait-for.js';

const TOKEN = 's3cret-token';
const x = (v = 1): { features: { values: number[] } } => ({ features: { values: [v, 2, 3, 4] } });

function healthOf(address: string, service: string): Promise<string> {
  const Health = grpc.makeGenericClientConstructor(healthService, 'Health');
  const health = new Health(address, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
    check(req: { service: string }, cb: (e: grpc.ServiceError | null, r: { status: string }) => void): void;
  };
  return new Promise<string>((resolve, reject) => health.check({ service }, (e, r) => (health.close(), e ? reject(e) : resolve(r.status))));
}

describe('every streamtune RPC over a real socket', () => {
  let fx: ServingFixture;
  let predictor: AnyClient;
  let admin: AnyClient;

  beforeAll(async () => {
    fx = await startServingFixture({ versions: 4, serving: { adminToken: TOKEN, keepWarmVersions: 2, maxReceiveMessageBytes: 64 * 1024 } });
    predictor = clientOf('streamtune.v1.Predictor', fx.app.grpc!.address);
    admin = clientOf('streamtune.v1.ModelAdmin', fx.app.grpc!.address);
  });

  afterAll(async () => {
    predictor?.close();
    admin?.close();
    await fx?.close();
  });

  it('Predict answers many instances per call; GetModel reports the input kinds and the warm versions', async () => {
    const res = await unary<WirePredictResponse>(predictor, 'Predict', { instances: [x(1), x(2), x(3)], requestId: 'r1' });
    expect(res).toMatchObject({ model: 'm', version: 'v1', requestId: 'r1' });
    expect(res.predictions).toHaveLength(3);
    const info = await unary<Record<string, unknown>>(predictor, 'GetModel', {});
    expect(info).toMatchObject({ name: 'm', version: 'v1', inputKinds: ['features'], loadedVersions: ['v1'], pinned: '' });
  });

  it('INVALID_ARGUMENT names the instance and field for a wrong kind or dimension, and the kinds the model accepts', async () => {
    for (const kind of ['image', 'audio'] as const) {
      const e = await failure(unary(predictor, 'Predict', { instances: [x(), { [kind]: Buffer.from([1, 2, 3]) }] }));
      expect(e.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(e.details).toMatch(new RegExp(`instances\\[1\\]\\.${kind}: .*accepts features input only \\(input kinds: features\\)`));
    }
    const views = await failure(unary(predictor, 'Predict', { instances: [{ views: { views: { left: { values: [1] } } } }] }));
    expect(views).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringMatching(/instances\[0\]\.views/) });
    const dim = await failure(unary(predictor, 'Predict', { instances: [x(), x(), { features: { values: [1, 2] } }] }));
    expect(dim).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringMatching(/instances\[2\]\.features has 2 values, model expects 4/) });
    const none = await failure(unary(predictor, 'Predict', { instances: [{}] }));
    expect(none).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringMatching(/instances\[0\] has no input/) });
  });

  it('a message over the size limit is RESOURCE_EXHAUSTED', async () => {
    const e = await failure(unary(predictor, 'Predict', { instances: [{ text: 'x'.repeat(100 * 1024) }] }));
    expect(e.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
  });

  it('PredictStream answers each request with its request_id; a bad request gets an error answer and the stream goes on', async () => {
    const call = (predictor.PredictStream as () => grpc.ClientDuplexStream<unknown, WirePredictResponse>)();
    const answers: WirePredictResponse[] = [];
    const done = new Promise<void>((resolve, reject) => {
      call.on('data', (r: WirePredictResponse) => answers.push(r));
      call.on('end', () => resolve());
      call.on('error', reject);
    });
    call.write({ requestId: 'a', instances: [x(1)] });
    call.write({ requestId: 'b', instances: [{ features: { values: [1] } }] });
    call.write({ requestId: 'c', instances: [x(2), x(3)] });
    call.end();
    await done;
    const byId = Object.fromEntries(answers.map((a) => [a.requestId, a]));
    expect(Object.keys(byId).sort()).toEqual(['a', 'b', 'c']);
    expect(byId.a!.predictions).toHaveLength(1);
    expect(byId.c!.predictions).toHaveLength(2);
    expect(byId.c!.version).toBe('v1');
    expect(byId.b!.error).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, codeName: 'INVALID_ARGUMENT', message: expect.stringMatching(/instances\[0\]\.features has 1 values/) });
  });

  it('ModelAdmin answers UNAUTHENTICATED without the bearer token or with a wrong one, and changes nothing', async () => {
    for (const metadata of [undefined, bearer('wrong-token!')]) {
      for (const [method, req] of [['Pin', { version: 'v2' }], ['Unpin', {}], ['Rollback', {}]] as const) {
        const e = await failure(unary(admin, method, req, { metadata }));
        expect(e.code).toBe(grpc.status.UNAUTHENTICATED);
      }
    }
    expect(fx.app.holder.version).toBe('v1');
  });

  it('serves a requested version while it is warm, NOT_FOUND naming the warm versions otherwise; ListVersions, Pin, Unpin, Rollback and WatchModel', async () => {
    const events: WireModelEvent[] = [];
    const watch = (predictor.WatchModel as (req: unknown) => grpc.ClientReadableStream<WireModelEvent>)({});
    watch.on('data', (e: WireModelEvent) => events.push(e));
    watch.on('error', () => undefined);
    await waitFor('the first watch event', () => events.length > 0);
    expect(events[0]).toMatchObject({ type: 'current', version: 'v1' });

    await fx.app.swapTo('v2');
    expect((await unary<WirePredictResponse>(predictor, 'Predict', { instances: [x()] })).version).toBe('v2');
    expect((await unary<WirePredictResponse>(predictor, 'Predict', { instances: [x()], version: 'v1' })).version).toBe('v1');
    const nf = await failure(unary(predictor, 'Predict', { instances: [x()], version: 'v4' }));
    expect(nf).toMatchObject({ code: grpc.status.NOT_FOUND, details: expect.stringMatching(/"v4".*not loaded \(loaded: v2, v1\)/) });

    // Pin v1: new versions from the trainer become warm candidates, v1 keeps serving.
    const pinned = await unary<Record<string, string>>(admin, 'Pin', { version: 'v1' }, { metadata: bearer(TOKEN) });
    expect(pinned).toMatchObject({ model: 'm', version: 'v1', previous: 'v2', pinned: 'v1' });
    await fx.app.swapTo('v3');
    expect((await unary<WirePredictResponse>(predictor, 'Predict', { instances: [x()] })).version).toBe('v1');
    expect((await unary<WirePredictResponse>(predictor, 'Predict', { instances: [x()], version: 'v3' })).version).toBe('v3');
    const states = async (): Promise<Record<string, string>> =>
      Object.fromEntries(
        (await unary<{ versions: { version: string; state: string }[] }>(predictor, 'ListVersions', {})).versions.map((v) => [v.version, v.state]),
      );
    expect(await states()).toEqual({ v1: 'pinned', v2: 'retired', v3: 'candidate', v4: 'candidate' });
    const list = await unary<{ versions: { version: string; parent: string; regime: string; metrics: Record<string, number>; loaded: boolean }[] }>(predictor, 'ListVersions', {});
    expect(list.versions[2]).toMatchObject({ version: 'v3', parent: 'v2', regime: 'test', loaded: true });
    expect(list.versions[2]!.metrics.holdoutAccuracy).toBeCloseTo(0.3, 6);
    expect(await fx.app.store.readState('m')).toEqual({ pinned: 'v1', rejected: [] });

    // Unpin: the newest good version (v4) is promoted.
    expect(await unary(admin, 'Unpin', {}, { metadata: bearer(TOKEN) })).toMatchObject({ version: 'v4', previous: 'v1', pinned: '' });
    // Rollback: v4 is rejected, the previous good version (v1) serves and is pinned.
    expect(await unary(admin, 'Rollback', { reason: 'accuracy dropped' }, { metadata: bearer(TOKEN) })).toMatchObject({ version: 'v1', previous: 'v4', pinned: 'v1' });
    expect(await states()).toEqual({ v1: 'pinned', v2: 'retired', v3: 'candidate', v4: 'rejected' });
    expect(await fx.app.store.readState('m')).toEqual({ pinned: 'v1', rejected: ['v4'] });
    const missing = await failure(unary(admin, 'Pin', { version: 'v99' }, { metadata: bearer(TOKEN) }));
    expect(missing).toMatchObject({ code: grpc.status.NOT_FOUND, details: expect.stringMatching(/no version "v99" \(versions: v1, v2, v3, v4\)/) });

    await waitFor('the rollback event', () => events.some((e) => e.type === 'rollback'));
    watch.cancel();
    const seen = events.map((e) => `${e.type}:${e.version}`);
    expect(seen).toEqual(['current:v1', 'promotion:v2', 'promotion:v1', 'pin:v1', 'candidate:v3', 'promotion:v4', 'unpin:v4', 'promotion:v1', 'rollback:v1']);
    expect(events.at(-1)).toMatchObject({ previous: 'v4', reason: 'accuracy dropped' });
  });

  it('Diagnostics.Echo answers with its payload; health says SERVING for every service', async () => {
    const echo = clientOf('streamtune.v1.Diagnostics', fx.app.grpc!.address);
    const res = await unary<{ payload: Buffer }>(echo, 'Echo', { payload: Buffer.from('ping') });
    echo.close();
    expect(res.payload.toString()).toBe('ping');
    for (const s of ['', 'streamtune.v1.Predictor', 'inference.GRPCInferenceService']) expect(await healthOf(fx.app.grpc!.address, s)).toBe('SERVING');
  });

  it('exports queue and compute time, batch sizes, warm versions and admin calls as metrics', async () => {
    const text = await (await fetch(fx.app.metricsUrl)).text();
    const value = (re: RegExp): number => Number(re.exec(text)?.[1] ?? Number.NaN);
    expect(value(/^streamtune_predict_queue_seconds_count\{method="Predict"\} (\d+)/m)).toBeGreaterThanOrEqual(5);
    expect(value(/^streamtune_predict_queue_seconds_count\{method="PredictStream"\} (\d+)/m)).toBe(2);
    expect(value(/^streamtune_predict_compute_seconds_count (\d+)/m)).toBeGreaterThan(0);
    expect(value(/^streamtune_predict_batch_size_sum (\d+)/m)).toBeGreaterThan(5);
    expect(value(/^streamtune_model_versions_loaded\{model="m"\} (\d+)/m)).toBe(2);
    expect(value(/^streamtune_predict_requests_total\{method="Pin",code="UNAUTHENTICATED"\} (\d+)/m)).toBe(2);
    expect(value(/^streamtune_predict_requests_total\{method="PredictStream",code="INVALID_ARGUMENT"\} (\d+)/m)).toBe(1);
    expect(text).toMatch(/^streamtune_predict_inflight_requests\{method="Predict"\} 0/m);
    // Swaps count the versions offered (start, v2, v3); the operator's Pin, Unpin and Rollback have their own counters.
    expect(value(/^streamtune_model_swaps_total\{model="m",result="ok"\} (\d+)/m)).toBe(3);
    expect(value(/^streamtune_model_pins_total\{model="m",action="pin"\} (\d+)/m)).toBe(1);
    expect(value(/^streamtune_model_pins_total\{model="m",action="unpin"\} (\d+)/m)).toBe(1);
    expect(value(/^streamtune_rollbacks_total\{model="m",trigger="operator"\} (\d+)/m)).toBe(1);
    expect(value(/^streamtune_rollbacks_total\{model="m",trigger="guardrail"\} (\d+)/m)).toBe(0);
  });
});

describe('overload and deadlines', () => {
  let fx: ServingFixture;
  let predictor: AnyClient;

  beforeAll(async () => {
    // A batcher that waits 300 ms for company and queues at most 4 rows.
    fx = await startServingFixture({ versions: 1, serving: { batching: { maxQueueDelayMs: 300, maxQueueRows: 4 } } });
    predictor = clientOf('streamtune.v1.Predictor', fx.app.grpc!.address);
  });

  afterAll(async () => {
    predictor?.close();
    await fx?.close();
  });

  it('a full queue answers RESOURCE_EXHAUSTED while queued work still completes', async () => {
    const first = unary<WirePredictResponse>(predictor, 'Predict', { instances: [x(), x(), x()] });
    await waitFor('3 rows queued', () => fx.app.grpc!.batcher.depth === 3);
    const e = await failure(unary(predictor, 'Predict', { instances: [x(), x()] }));
    expect(e).toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED, details: expect.stringMatching(/queue is full/) });
    expect((await first).predictions).toHaveLength(3);
  });

  it('a call whose deadline passes in the queue is DEADLINE_EXCEEDED and its work is dropped, not run', async () => {
    const e = await failure(unary(predictor, 'Predict', { instances: [x()] }, { deadlineMs: 50 }));
    expect(e.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    await waitFor('the server to drop the expired work', async () =>
      /^streamtune_predict_dropped_total\{reason="(deadline|cancelled)"\} 1/m.test(await (await fetch(fx.app.metricsUrl)).text()),
    );
  });

  it('health is NOT_SERVING while no version is loaded', async () => {
    const holder = new ModelHolder('empty');
    const metrics = createMetrics({ defaultMetrics: false });
    const control = new VersionControl(holder, new VersionStore(fx.dir), metrics);
    const server = new PredictionServer(ModelFleet.of({ name: 'empty', holder, control }), metrics, { backend: 'x' });
    await server.start();
    expect(await healthOf(server.address, 'streamtune.v1.Predictor')).toBe('NOT_SERVING');
    const oip = clientOf('inference.GRPCInferenceService', server.address);
    expect(await unary(oip, 'ServerReady', {})).toEqual({ ready: false });
    expect(await unary(oip, 'ServerLive', {})).toEqual({ live: true });
    oip.close();
    await server.close();
  });
});

describe('graceful shutdown', () => {
  it('reports NOT_SERVING at once, ends WatchModel streams, lets an open PredictStream finish, then closes', async () => {
    const fx = await startServingFixture({ versions: 1 });
    const address = fx.app.grpc!.address;
    const predictor = clientOf('streamtune.v1.Predictor', address);
    const Health = grpc.makeGenericClientConstructor(healthService, 'Health');
    const health = new Health(address, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
      watch(req: { service: string }): grpc.ClientReadableStream<{ status: string }>;
    };
    // A health Watch opened before shutdown sees the change (new connections are refused once draining starts).
    const statuses: string[] = [];
    const healthWatch = health.watch({ service: 'streamtune.v1.Predictor' });
    healthWatch.on('data', (r: { status: string }) => statuses.push(r.status));
    healthWatch.on('error', () => undefined);
    await waitFor('SERVING on the health watch', () => statuses.includes('SERVING'));

    const watch = (predictor.WatchModel as (req: unknown) => grpc.ClientReadableStream<WireModelEvent>)({});
    const watchEnded = new Promise<void>((resolve) => {
      watch.on('end', () => resolve());
      watch.on('error', () => resolve());
      watch.on('data', () => undefined);
    });
    const stream = (predictor.PredictStream as () => grpc.ClientDuplexStream<unknown, WirePredictResponse>)();
    const answers: WirePredictResponse[] = [];
    const streamEnded = new Promise<void>((resolve, reject) => {
      stream.on('data', (r: WirePredictResponse) => answers.push(r));
      stream.on('end', () => resolve());
      stream.on('error', reject);
    });
    streamEnded.catch(() => undefined); // awaited below; a failure must fail the test there, not crash the worker first
    stream.write({ requestId: 'before', instances: [x()] });
    await waitFor('the first stream answer', () => answers.length === 1);

    let closed = false;
    const closing = fx.app.close().then(() => (closed = true));
    await waitFor('NOT_SERVING on the health watch', () => statuses.at(-1) === 'NOT_SERVING');
    healthWatch.cancel();
    await watchEnded;
    // The open stream is drained, not cut: it still gets answers until the client ends it.
    stream.write({ requestId: 'during', instances: [x()] });
    await waitFor('the answer during shutdown', () => answers.length === 2);
    expect(closed).toBe(false);
    stream.end();
    await streamEnded;
    await closing;
    expect(answers.map((a) => [a.requestId, a.error ?? null])).toEqual([
      ['before', null],
      ['during', null],
    ]);
    health.close();
    predictor.close();
    await fx.close();
  });
});
