/**
 * The Open Inference Protocol (KServe v2) over HTTP/REST, called as users call it:
 * NVIDIA's tritonclient.http (and tritonclient.grpc) from Python, curl as the docs
 * show it, and plain HTTP requests. Answers and errors must be those of gRPC.
 */
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/ops/index.js';
import { VersionStore } from '../../src/registry/index.js';
import { ModelFleet, ModelHolder, PredictionServer, VersionControl, type WirePredictResponse } from '../../src/serving/index.js';
import { clientOf, failure, unary } from '../helpers/grpc-call.js';
import { curlBin, documentedCommands, run, tritonPython } from '../helpers/outside-tools.js';
import { startServingFixture, type ServingFixture } from '../helpers/serving-fixture.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const rows = [
  [1, 2, 3, 4],
  [0, -1, 0.5, 2],
];

type Outputs = Record<string, (number | string)[] | number[] | null>;
interface TritonRun {
  live: boolean;
  ready: boolean;
  model_ready: boolean;
  model_ready_v9: boolean;
  server_metadata: Record<string, unknown>;
  model_metadata: Record<string, unknown>;
  json_fp32_version: string;
  [k: string]: unknown;
}
interface RestAnswer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

describe('KServe v2 REST', () => {
  let fx: ServingFixture;
  let text: ServingFixture;
  let rest: string;
  let predicted: WirePredictResponse;

  const http = async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<RestAnswer> => {
    const res = await fetch(url, { method, headers: { 'content-type': 'application/json', ...headers }, ...(body === undefined ? {} : { body: Buffer.isBuffer(body) ? body : JSON.stringify(body) }) });
    return { status: res.status, headers: res.headers, body: JSON.parse(Buffer.from(await res.arrayBuffer()).toString('utf8')) as Record<string, unknown> };
  };
  /** What gRPC's ModelInfer answers for the same (bad) request: its status details. */
  const grpcError = async (req: object): Promise<string> => {
    const oip = clientOf('inference.GRPCInferenceService', fx.app.grpc!.address);
    try {
      return (await failure(unary(oip, 'ModelInfer', req))).details;
    } finally {
      oip.close();
    }
  };

  beforeAll(async () => {
    fx = await startServingFixture({ versions: 1 });
    text = await startServingFixture({ versions: 1, kind: 'text' });
    rest = fx.app.grpc!.rest!.url;
    const predictor = clientOf('streamtune.v1.Predictor', fx.app.grpc!.address);
    predicted = await unary<WirePredictResponse>(predictor, 'Predict', { instances: rows.map((values) => ({ features: { values } })) });
    predictor.close();
  });

  afterAll(async () => {
    await fx?.close();
    await text?.close();
  });

  it('tritonclient.http: health, metadata, FP32 and FP64 inputs as JSON, binary or gzip, answered as Predict answers; errors as gRPC gives them', async () => {
    const py = tritonPython();
    const hostPort = (u: string): string => new URL(u).host;
    const r = await run(py, [path.join(ROOT, 'tests', 'fixtures', 'tritonclient_http_check.py'), hostPort(rest), hostPort(text.app.grpc!.rest!.url), fx.app.grpc!.address], { timeoutMs: 120_000 });
    expect({ status: r.status, stderr: r.stderr }).toMatchObject({ status: 0 });
    const seen = JSON.parse(r.stdout) as TritonRun;
    expect(seen).toMatchObject({ live: true, ready: true, model_ready: true, model_ready_v9: false, json_fp32_version: 'v1' });
    expect(seen.server_metadata).toMatchObject({ name: 'streamtune', extensions: ['binary_tensor_data'] });
    expect(seen.model_metadata).toEqual({
      name: 'm',
      versions: ['v1'],
      platform: 'tensorflowjs',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [
        { name: 'probabilities', datatype: 'FP32', shape: [-1, 3] },
        { name: 'label', datatype: 'BYTES', shape: [-1] },
        { name: 'confidence', datatype: 'FP32', shape: [-1] },
      ],
    });
    for (const key of ['binary_fp32', 'json_fp32', 'binary_fp64', 'json_fp64', 'gzip_fp32', 'grpc_raw_fp32', 'grpc_raw_fp64']) {
      const o = seen[key] as Outputs;
      expect({ key, shapes: [o.probabilities_shape, o.label_shape, o.confidence_shape] }).toEqual({ key, shapes: [[2, 3], [2], [2]] });
      predicted.predictions.forEach((p, i) => {
        ['a', 'b', 'c'].forEach((l, c) => expect((o.probabilities as number[])[i * 3 + c]).toBeCloseTo(p.scores[l]!, 5));
        expect((o.label as string[])[i]).toBe(p.label);
        expect((o.confidence as number[])[i]).toBeCloseTo(p.confidence, 5);
      });
    }
    expect((seen.text_binary as Outputs).probabilities_shape).toEqual([2, 3]);
    expect((seen.text_json as Outputs).label).toEqual((seen.text_binary as Outputs).label);

    // The same message as gRPC's ModelInfer, with the HTTP status of its code.
    const x = (shape: number[], datatype = 'FP32', values = [1, 1, 1, 1, 1].slice(0, shape[1])): object => ({ inputs: [{ name: 'input', datatype, shape, contents: { fp32Contents: values } }] });
    expect(seen.error_shape).toEqual({ status: '400', message: await grpcError(x([1, 5])) });
    expect(seen.error_datatype).toEqual({ status: '400', message: await grpcError(x([1, 4], 'INT32')) });
    expect(seen.error_datatype).toMatchObject({ message: 'inputs[0].datatype: model accepts FP32 [-1,4] (features; FP64 also accepted), got INT32' });
    expect(seen.error_model).toEqual({ status: '404', message: await grpcError({ modelName: 'other', ...x([1, 4]) }) });
    expect(seen.error_version).toEqual({ status: '404', message: await grpcError({ modelVersion: 'v9', ...x([1, 4]) }) });
    expect(seen.error_output).toEqual({ status: '400', message: await grpcError({ ...x([1, 4]), outputs: [{ name: 'logits' }] }) });

    const metrics = await (await fetch(fx.app.metricsUrl)).text();
    expect(Number(/^streamtune_predict_requests_total\{method="ModelInfer",code="INVALID_ARGUMENT"\} (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(6);
  });

  it('JSON over plain HTTP: nested or flat data, FP64, ids, chosen outputs, the binary extension by hand', async () => {
    const url = `${rest}/v2/models/m/infer`;
    const flat = await http('POST', url, { id: 'r-1', inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 4], data: rows.flat() }] });
    const nested = await http('POST', url, { inputs: [{ name: 'input', datatype: 'FP64', shape: [2, 4], data: rows }], outputs: [{ name: 'label' }] });
    expect(flat).toMatchObject({ status: 200, body: { model_name: 'm', model_version: 'v1', id: 'r-1' } });
    expect((flat.body.outputs as { name: string; shape: number[] }[]).map((o) => [o.name, o.shape])).toEqual([
      ['probabilities', [2, 3]],
      ['label', [2]],
      ['confidence', [2]],
    ]);
    expect(nested.body.outputs).toEqual([{ name: 'label', datatype: 'BYTES', shape: [2], data: predicted.predictions.map((p) => p.label) }]);

    // Binary tensor data: FP64 input bytes after the JSON header, FP32 probabilities back as bytes.
    const header = Buffer.from(JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP64', shape: [2, 4], parameters: { binary_data_size: 64 } }], outputs: [{ name: 'probabilities', parameters: { binary_data: true } }] }));
    const raw = Buffer.alloc(64);
    rows.flat().forEach((v, i) => raw.writeDoubleLE(v, i * 8));
    const res = await fetch(url, { method: 'POST', headers: { 'inference-header-content-length': String(header.length) }, body: Buffer.concat([header, raw]) });
    const body = Buffer.from(await res.arrayBuffer());
    const jsonLength = Number(res.headers.get('inference-header-content-length'));
    const answer = JSON.parse(body.subarray(0, jsonLength).toString()) as { outputs: { parameters: { binary_data_size: number } }[] };
    expect(answer.outputs[0]!.parameters.binary_data_size).toBe(24);
    const probs = body.subarray(jsonLength);
    predicted.predictions.forEach((p, i) => ['a', 'b', 'c'].forEach((l, c) => expect(probs.readFloatLE((i * 3 + c) * 4)).toBeCloseTo(p.scores[l]!, 5)));

    const texts = await http('POST', `${text.app.grpc!.rest!.url}/v2/models/m/infer`, { inputs: [{ name: 'input', datatype: 'BYTES', shape: [1], data: ['win a cruise'] }] });
    expect(texts.status).toBe(200);
    const gz = await fetch(url, { method: 'POST', headers: { 'content-encoding': 'gzip' }, body: zlib.gzipSync(JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: rows[0] }] })) });
    expect(gz.status).toBe(200);
  });

  it('refuses with the status and a message naming the problem', async () => {
    const infer = `${rest}/v2/models/m/infer`;
    const cases: [RestAnswer, number, RegExp][] = [
      [await http('POST', infer, Buffer.from('{"inputs": [')), 400, /^body: not JSON/],
      [await http('POST', infer, { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [1, 2, 'x', 4] }] }), 400, /^inputs\[0\]\.data\[2\]: is "x", not a number/],
      [await http('POST', infer, { inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 4], data: [1, 2, 3, 4] }] }), 400, /^inputs\[0\]\.data: has 4 values, shape \[2,4\] needs 8/],
      [await http('POST', infer, { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], parameters: { binary_data_size: 16 } }] }), 400, /binary_data_size: 16 bytes run past the end of the body/],
      [await http('POST', infer, Buffer.from('{}'), { 'inference-header-content-length': '99' }), 400, /^Inference-Header-Content-Length: 99 is not a length within the 2-byte body/],
      [await http('POST', infer, Buffer.alloc(5 * 1024 * 1024, 32)), 413, /over the limit of 4194304 bytes/],
      [await http('POST', `${rest}/v2/models/other/infer`, {}), 404, /model "other" is not served here/],
      [await http('GET', infer), 405, /answers POST only/],
      [await http('GET', `${rest}/v2/nothing`), 404, /no such endpoint: GET \/v2\/nothing/],
      [await http('GET', `${rest}/v2/models/%E0%A4%A/ready`), 400, /^bad request path/],
    ];
    for (const [answer, status, re] of cases) expect({ status: answer.status, error: answer.body.error }).toEqual({ status, error: expect.stringMatching(re) });
  });

  it('every curl command in README.md and docs/api.md works as written', async () => {
    const bin = curlBin();
    const digits = await startServingFixture({ model: 'digits', dim: 64, labels: [...'0123456789'], versions: 1 });
    try {
      const commands = documentedCommands('curl', [path.join(ROOT, 'README.md'), path.join(ROOT, 'docs', 'api.md')]).filter((c) => c.command.includes('/v2'));
      expect(commands.length).toBeGreaterThanOrEqual(4);
      for (const { file, command } of commands) {
        const line = command.replace(/^curl /, `${JSON.stringify(bin)} --fail-with-body `).replaceAll('127.0.0.1:8000', new URL(digits.app.grpc!.rest!.url).host);
        const r = await run('bash', ['-c', line], { timeoutMs: 30_000 });
        expect({ file, command, status: r.status, out: `${r.stdout}${r.stderr}` }).toMatchObject({ status: 0 });
      }
    } finally {
      await digits.close();
    }
  });

  it('ready is a 4xx until a version is loaded; live is 200', async () => {
    const holder = new ModelHolder('empty');
    const metrics = createMetrics({ defaultMetrics: false });
    const control = new VersionControl(holder, new VersionStore(fx.dir), metrics);
    const server = new PredictionServer(ModelFleet.of({ name: 'empty', holder, control }), metrics, { backend: 'x', http: { enabled: true, port: 0 } });
    await server.start();
    try {
      expect((await http('GET', `${server.rest!.url}/v2/health/live`)).status).toBe(200);
      expect(await http('GET', `${server.rest!.url}/v2/health/ready`)).toMatchObject({ status: 400, body: { ready: false } });
      expect(await http('GET', `${server.rest!.url}/v2/models/empty/ready`)).toMatchObject({ status: 400, body: { ready: false } });
    } finally {
      await server.close();
    }
  });
});
