/**
 * Many models in one server: every RPC (streamtune's and the Open Inference
 * Protocol's, over gRPC and REST) selects its model by name, metrics are labelled
 * by model, and models created or deleted in the registry while the server runs
 * are served or dropped without a restart. grpcurl and curl call it as users do.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModel } from '../../src/app/index.js';
import { DenseClassifier } from '../../src/learners/index.js';
import { parseMetricsText } from '../../src/ops/index.js';
import type { WireModelInfo, WirePredictResponse } from '../../src/serving/index.js';
import { clientOf, failure, unary, type AnyClient } from '../helpers/grpc-call.js';
import { curlBin, grpcurlBin, run } from '../helpers/outside-tools.js';
import { runCli } from '../helpers/processes.js';
import { startServingFixture, type ServingFixture } from '../helpers/serving-fixture.js';
import { waitFor } from '../helpers/wait-for.js';

describe('many models in one server', () => {
  let fx: ServingFixture;
  let predictor: AnyClient;
  let oip: AnyClient;

  beforeAll(async () => {
    // The fixture's model "m" (4 features, labels a/b/c), plus two more in the same registry before start.
    fx = await startServingFixture({
      versions: 1,
      serving: { modelScanMs: 200 },
      beforeStart: async (store, backend) => {
        const wide = new DenseClassifier({ featureSpec: { kind: 'features', dim: 6 }, labels: ['x', 'y'], hiddenUnits: [4], seed: 3 });
        await store.save('wide', wide, { parent: null, regime: 'test', backend, examplesSeen: 0, metrics: {}, offsets: {} });
        wide.dispose();
        await createModel({ store, model: 'price', input: 'features:3', task: 'regression', labels: [], regime: 'supervised', backend });
      },
    });
    predictor = clientOf('streamtune.v1.Predictor', fx.app.grpc!.address);
    oip = clientOf('inference.GRPCInferenceService', fx.app.grpc!.address);
  }, 120_000);

  afterAll(async () => {
    predictor?.close();
    oip?.close();
    await fx?.close();
  });

  it('serves every model of the registry; each call answers from the model it names', async () => {
    const list = await unary<{ models: WireModelInfo[]; defaultModel: string }>(predictor, 'ListModels', {});
    expect(list.defaultModel).toBe('m');
    expect(list.models.map((m) => [m.name, m.task, m.inputDim])).toEqual([
      ['m', 'classification', 4],
      ['price', 'regression', 3],
      ['wide', 'classification', 6],
    ]);
    const wide = await unary<WirePredictResponse>(predictor, 'Predict', { model: 'wide', instances: [{ features: { values: [1, 2, 3, 4, 5, 6] } }] });
    expect(wide.model).toBe('wide');
    expect(['x', 'y']).toContain(wide.predictions[0]!.label);
    const price = await unary<WirePredictResponse>(predictor, 'Predict', { model: 'price', instances: [{ features: { values: [1, 2, 3] } }] });
    expect(price.model).toBe('price');
    expect(Number.isFinite(price.predictions[0]!.value)).toBe(true);
    // No name: the default model.
    const dflt = await unary<WirePredictResponse>(predictor, 'Predict', { instances: [{ features: { values: [1, 2, 3, 4] } }] });
    expect(dflt.model).toBe('m');
    // Each model checks its own input: 4 features are wrong for "wide".
    const bad = await failure(unary(predictor, 'Predict', { model: 'wide', instances: [{ features: { values: [1, 2, 3, 4] } }] }));
    expect(bad.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(bad.details).toMatch(/instances\[0\]/);
    const unknown = await failure(unary(predictor, 'Predict', { model: 'nope', instances: [{ features: { values: [1] } }] }));
    expect(unknown.code).toBe(grpc.status.NOT_FOUND);
    expect(unknown.details).toMatch(/model "nope" is not served here \(serving: m, price, wide\)/);
    const versions = await unary<{ model: string; versions: { version: string }[] }>(predictor, 'ListVersions', { model: 'price' });
    expect(versions).toMatchObject({ model: 'price', versions: [{ version: 'v1' }] });
  });

  it('the Open Inference Protocol selects the model by model_name (gRPC, and REST with curl)', async () => {
    expect(await unary(oip, 'ModelReady', { name: 'wide' })).toEqual({ ready: true });
    expect(await unary(oip, 'ModelReady', { name: 'nope' })).toEqual({ ready: false });
    const meta = await unary<{ name: string; inputs: { shape: string[] }[] }>(oip, 'ModelMetadata', { name: 'wide' });
    expect(meta.name).toBe('wide');
    expect(meta.inputs[0]!.shape.map(Number)).toEqual([-1, 6]);
    const infer = await unary<{ modelName: string; outputs: { name: string }[] }>(oip, 'ModelInfer', {
      modelName: 'price',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3], contents: { fp32Contents: [1, 2, 3] } }],
    });
    expect(infer.modelName).toBe('price');
    const rest = fx.app.grpc!.rest!.url;
    const curl = curlBin();
    const r = await run(curl, ['-sS', '-X', 'POST', `${rest}/v2/models/wide/infer`, '-H', 'content-type: application/json', '-d', JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 6], data: [1, 2, 3, 4, 5, 6] }] })]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ model_name: 'wide', model_version: 'v1' });
    const index = await run(curl, ['-sS', '-X', 'POST', `${rest}/v2/repository/index`]);
    expect((JSON.parse(index.stdout) as { name: string; state: string }[]).map((m) => `${m.name}:${m.state}`)).toEqual(['m:READY', 'price:READY', 'wide:READY']);
  });

  it('grpcurl names the model as any client does', async () => {
    const r = await run(grpcurlBin(), ['-plaintext', '-d', JSON.stringify({ model: 'wide', instances: [{ features: { values: [0, 0, 0, 0, 0, 1] } }] }), fx.app.grpc!.address, 'streamtune.v1.Predictor/Predict'], { timeoutMs: 30_000 });
    expect({ status: r.status, err: r.stderr }).toMatchObject({ status: 0 });
    expect(JSON.parse(r.stdout)).toMatchObject({ model: 'wide', version: 'v1' });
    const l = await run(grpcurlBin(), ['-plaintext', fx.app.grpc!.address, 'streamtune.v1.Predictor/ListModels'], { timeoutMs: 30_000 });
    expect((JSON.parse(l.stdout) as { models: { name: string }[] }).models.map((m) => m.name)).toEqual(['m', 'price', 'wide']);
  });

  it('metrics are labelled by model', async () => {
    const text = await (await fetch(`${fx.app.metricsUrl}`)).text();
    const predictions = parseMetricsText(text).filter((s) => s.name === 'streamtune_predictions_total');
    const by = Object.fromEntries(predictions.map((s) => [s.labels.model, s.value]));
    expect(by.wide).toBeGreaterThanOrEqual(2);
    expect(by.price).toBeGreaterThanOrEqual(2);
    expect(by.m).toBeGreaterThanOrEqual(1);
    const timed = Object.fromEntries(parseMetricsText(text).filter((s) => s.name === 'streamtune_model_predict_seconds_count').map((s) => [s.labels.model, s.value]));
    expect(timed).toMatchObject({ wide: by.wide, price: by.price, m: by.m });
    const info = parseMetricsText(text).filter((s) => s.name === 'streamtune_model_info' && s.value === 1);
    expect(info.map((s) => s.labels.model).sort()).toEqual(['m', 'price', 'wide']);
  });

  it('a model created with `streamtune models create` is served without a restart; `models delete` drops it', async () => {
    const env = { STREAMTUNE_REGISTRY_DIR: fx.dir, STREAMTUNE_BACKEND: fx.backend };
    const created = runCli(['models', 'create', 'churn', '--input', 'features:5', '--labels', 'stay,leave', '--regime', 'supervised'], env);
    const code = await new Promise<number | null>((resolve) => created.child.once('exit', resolve));
    expect({ code, out: created.lines.join('\n') }).toMatchObject({ code: 0 });
    expect(JSON.parse(created.lines.find((l) => l.startsWith('{'))!)).toMatchObject({ model: 'churn', version: 'v1', labels: ['stay', 'leave'] });
    await waitFor('the new model served', () => fx.app.fleet.has('churn'), 30_000);
    const p = await unary<WirePredictResponse>(predictor, 'Predict', { model: 'churn', instances: [{ features: { values: [1, 2, 3, 4, 5] } }] });
    expect(['stay', 'leave']).toContain(p.predictions[0]!.label);

    const dup = runCli(['models', 'create', 'churn', '--input', 'features:5', '--labels', 'stay,leave'], env);
    expect(await new Promise<number | null>((resolve) => dup.child.once('exit', resolve))).toBe(2);
    expect(dup.lines.join('\n')).toMatch(/--model\\?": model \\?"churn\\?" exists already/);

    const deleted = runCli(['models', 'delete', 'churn'], env);
    expect(await new Promise<number | null>((resolve) => deleted.child.once('exit', resolve))).toBe(0);
    await waitFor('the deleted model dropped', () => !fx.app.fleet.has('churn'), 30_000);
    const gone = await failure(unary(predictor, 'Predict', { model: 'churn', instances: [{ features: { values: [1, 2, 3, 4, 5] } }] }));
    expect(gone.code).toBe(grpc.status.NOT_FOUND);
    // The others kept serving throughout.
    expect((await unary<WirePredictResponse>(predictor, 'Predict', { model: 'wide', instances: [{ features: { values: [1, 2, 3, 4, 5, 6] } }] })).model).toBe('wide');
  }, 120_000);
});
