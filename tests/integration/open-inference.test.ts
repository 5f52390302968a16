import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WirePredictResponse } from '../../src/serving/index.js';
import { clientOf, failure, unary } from '../helpers/grpc-call.js';
import { startServingFixture, type ServingFixture } from '../helpers/serving-fixture.js';

const root = protobuf.loadSync(path.join(import.meta.dirname, '..', 'fixtures', 'kserve-v2-client.proto'));
const type = (name: string): protobuf.Type => root.lookupType(`inference.${name}`);

/**
 * Calls `/inference.GRPCInferenceService/<method>` as any KServe v2 client does:
 * the request is encoded with the spec's field numbers (our fixture proto, not the
 * server's), the response decoded the same way.
 */
function oipCall(address: string, method: string, req: object, reqType: string, resType: string, deadlineMs = 10_000): Promise<Record<string, unknown>> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const Req = type(reqType);
  const Res = type(resType);
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      `/inference.GRPCInferenceService/${method}`,
      (m: object) => Buffer.from(Req.encode(Req.fromObject(m)).finish()),
      (b: Buffer) => Res.toObject(Res.decode(b), { longs: Number, bytes: Buffer, defaults: true, arrays: true }),
      req,
      { deadline: Date.now() + deadlineMs },
      (err, res) => {
        client.close();
        if (err) reject(err);
        else resolve(res as Record<string, unknown>);
      },
    );
  });
}

type Tensor = { name: string; datatype: string; shape: number[]; contents?: { fp32Contents: number[]; bytesContents: Buffer[] } };
const infer = (address: string, req: object): Promise<Record<string, unknown>> => oipCall(address, 'ModelInfer', req, 'ModelInferRequest', 'ModelInferResponse');

describe('Open Inference Protocol v2 (KServe) over a real socket, encoded with the spec field numbers', () => {
  let fx: ServingFixture;
  let text: ServingFixture;
  const rows = [
    [1, 2, 3, 4],
    [0, -1, 0.5, 2],
  ];

  beforeAll(async () => {
    fx = await startServingFixture({ versions: 1 });
    text = await startServingFixture({ versions: 1, kind: 'text' });
  });

  afterAll(async () => {
    await fx?.close();
    await text?.close();
  });

  it('ServerMetadata, ModelReady and ModelMetadata describe the model as tensors', async () => {
    const addr = fx.app.grpc!.address;
    expect(await oipCall(addr, 'ServerMetadata', {}, 'ServerMetadataRequest', 'ServerMetadataResponse')).toMatchObject({ name: 'streamtune', version: '0.1.0' });
    expect(await oipCall(addr, 'ModelReady', { name: 'm' }, 'ModelReadyRequest', 'ModelReadyResponse')).toEqual({ ready: true });
    expect(await oipCall(addr, 'ModelReady', { name: 'm', version: 'v9' }, 'ModelReadyRequest', 'ModelReadyResponse')).toEqual({ ready: false });
    const meta = await oipCall(addr, 'ModelMetadata', { name: 'm' }, 'ModelMetadataRequest', 'ModelMetadataResponse');
    expect(meta).toMatchObject({
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
  });

  it('ModelInfer with fp32_contents answers the same probabilities as Predict', async () => {
    const addr = fx.app.grpc!.address;
    const res = await infer(addr, {
      modelName: 'm',
      id: 'req-7',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 4], contents: { fp32Contents: rows.flat() } }],
    });
    expect(res).toMatchObject({ modelName: 'm', modelVersion: 'v1', id: 'req-7' });
    const outputs = res.outputs as Tensor[];
    expect(outputs.map((o) => [o.name, o.datatype, o.shape])).toEqual([
      ['probabilities', 'FP32', [2, 3]],
      ['label', 'BYTES', [2]],
      ['confidence', 'FP32', [2]],
    ]);
    const predictor = clientOf('streamtune.v1.Predictor', addr);
    const ref = await unary<WirePredictResponse>(predictor, 'Predict', { instances: rows.map((values) => ({ features: { values } })) });
    predictor.close();
    const probs = outputs[0]!.contents!.fp32Contents;
    ref.predictions.forEach((p, i) => {
      ['a', 'b', 'c'].forEach((l, c) => expect(probs[i * 3 + c]).toBeCloseTo(p.scores[l]!, 5));
      expect(outputs[1]!.contents!.bytesContents[i]!.toString()).toBe(p.label);
      expect(outputs[2]!.contents!.fp32Contents[i]).toBeCloseTo(p.confidence, 5);
    });
  });

  it('ModelInfer with raw_input_contents answers raw_output_contents (little-endian FP32, length-prefixed BYTES)', async () => {
    const raw = Buffer.alloc(8 * 4);
    rows.flat().forEach((v, i) => raw.writeFloatLE(v, i * 4));
    const typed = (await infer(fx.app.grpc!.address, { inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 4], contents: { fp32Contents: rows.flat() } }] }))
      .outputs as Tensor[];
    const res = await infer(fx.app.grpc!.address, {
      modelName: 'm',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 4] }],
      outputs: [{ name: 'probabilities' }, { name: 'label' }],
      rawInputContents: [raw],
    });
    const [probs, labels] = res.rawOutputContents as Buffer[];
    expect((res.outputs as Tensor[]).map((o) => o.name)).toEqual(['probabilities', 'label']);
    expect(probs!.length).toBe(2 * 3 * 4);
    for (let i = 0; i < 6; i++) expect(probs!.readFloatLE(i * 4)).toBeCloseTo(typed[0]!.contents!.fp32Contents[i]!, 5);
    const first = labels!.readUInt32LE(0);
    expect(labels!.subarray(4, 4 + first).toString()).toBe(typed[1]!.contents!.bytesContents[0]!.toString());
  });

  it('a text model takes a BYTES tensor', async () => {
    const res = await infer(text.app.grpc!.address, {
      inputs: [{ name: 'input', datatype: 'BYTES', shape: [2], contents: { bytesContents: [Buffer.from('win a cruise'), Buffer.from('meeting at noon')] } }],
    });
    const outputs = res.outputs as Tensor[];
    expect(outputs[0]!.shape).toEqual([2, 3]);
    const p = outputs[0]!.contents!.fp32Contents;
    expect(p[0]! + p[1]! + p[2]!).toBeCloseTo(1, 5);
  });

  it('FP64 is read typed (fp64_contents) or raw alike, answering as FP32 does', async () => {
    const addr = fx.app.grpc!.address;
    const raw64 = Buffer.alloc(8 * 8);
    rows.flat().forEach((v, i) => raw64.writeDoubleLE(v, i * 8));
    const typed32 = (await infer(addr, { inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 4], contents: { fp32Contents: rows.flat() } }] })).outputs as Tensor[];
    const typed64 = (await infer(addr, { inputs: [{ name: 'input', datatype: 'FP64', shape: [2, 4], contents: { fp64Contents: rows.flat() } }] })).outputs as Tensor[];
    const raw = await infer(addr, { inputs: [{ name: 'input', datatype: 'FP64', shape: [2, 4] }], outputs: [{ name: 'probabilities' }], rawInputContents: [raw64] });
    const probs = (raw.rawOutputContents as Buffer[])[0]!;
    for (let i = 0; i < 6; i++) {
      expect(typed64[0]!.contents!.fp32Contents[i]).toBeCloseTo(typed32[0]!.contents!.fp32Contents[i]!, 5);
      expect(probs.readFloatLE(i * 4)).toBeCloseTo(typed32[0]!.contents!.fp32Contents[i]!, 5);
    }
    const short = await failure(infer(addr, { inputs: [{ name: 'input', datatype: 'FP64', shape: [2, 4] }], rawInputContents: [raw64.subarray(0, 32)] }));
    expect(short).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: 'raw_input_contents[0]: has 32 bytes, shape [2,4] FP64 needs 64' });
    const int = await failure(infer(addr, { inputs: [{ name: 'input', datatype: 'INT32', shape: [1, 4] }], rawInputContents: [Buffer.alloc(16)] }));
    expect(int).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: 'inputs[0].datatype: model accepts FP32 [-1,4] (features; FP64 also accepted), got INT32' });
  });

  it('a wrong datatype, shape or size is INVALID_ARGUMENT naming the field; an unknown version NOT_FOUND', async () => {
    const addr = fx.app.grpc!.address;
    const cases: [object, RegExp][] = [
      [{ inputs: [{ name: 'input', datatype: 'BYTES', shape: [1], contents: { bytesContents: [Buffer.from('x')] } }] }, /inputs\[0\]\.datatype: model accepts FP32 \[-1,4\]/],
      [{ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 5], contents: { fp32Contents: [1, 2, 3, 4, 5] } }] }, /inputs\[0\]\.shape: \[1,5\] does not match \[-1, 4\]/],
      [{ inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 4], contents: { fp32Contents: [1, 2, 3, 4] } }] }, /inputs\[0\]\.contents\.fp32_contents: has 4 values, shape \[2,4\] needs 8/],
      [{ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4] }], rawInputContents: [Buffer.alloc(12)] }, /raw_input_contents\[0\]: has 12 bytes/],
      [{ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], contents: { fp32Contents: [1, 2, 3, 4] } }], outputs: [{ name: 'logits' }] }, /outputs\[0\]\.name: "logits"/],
    ];
    for (const [req, re] of cases) {
      const e = await failure(infer(addr, req));
      expect(e.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(e.details).toMatch(re);
    }
    const nf = await failure(infer(addr, { modelVersion: 'v7', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], contents: { fp32Contents: [1, 2, 3, 4] } }] }));
    expect(nf).toMatchObject({ code: grpc.status.NOT_FOUND, details: expect.stringMatching(/"v7".*loaded: v1/) });
  });
});
