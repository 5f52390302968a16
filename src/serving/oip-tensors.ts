import { InvalidInputError } from '../core/index.js';
import type { FeatureSpec } from '../features/index.js';
import type { Prediction } from '../learners/index.js';
import type { RequestInput } from './prediction-engine.js';

/** `InferTensorContents` as proto-loader decodes it (only the fields streamtune reads or writes). */
export interface OipContents {
  fp32Contents?: number[];
  fp64Contents?: number[];
  bytesContents?: Buffer[];
}

export interface OipTensor {
  name: string;
  datatype: string;
  shape: (string | number)[];
  contents?: OipContents | null;
}

export interface OipInferRequest {
  modelName: string;
  modelVersion: string;
  id: string;
  inputs: OipTensor[];
  outputs: { name: string }[];
  rawInputContents: Buffer[];
}

export interface OipInferResponse {
  modelName: string;
  modelVersion: string;
  id: string;
  outputs: OipTensor[];
  rawOutputContents: Buffer[];
}

/** The output tensors streamtune's classifiers produce, in this order. */
export const OIP_OUTPUTS = ['probabilities', 'label', 'confidence'] as const;

/** The OIP view of a model's input: FP32 [-1, dim] for feature vectors, BYTES [-1] for text. */
export function oipInput(spec: FeatureSpec): { name: string; datatype: string; shape: number[] } {
  return spec.kind === 'features' ? { name: 'input', datatype: 'FP32', shape: [-1, spec.dim] } : { name: 'input', datatype: 'BYTES', shape: [-1] };
}

const bad = (field: string, message: string): InvalidInputError => new InvalidInputError('bad_tensor', field, `${field}: ${message}`);

/** BYTES raw encoding of the spec: each element is a 4-byte little-endian length, then its bytes. */
function splitBytes(raw: Buffer, field: string): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < raw.length; ) {
    if (at + 4 > raw.length) throw bad(field, 'BYTES raw contents end inside a length prefix');
    const n = raw.readUInt32LE(at);
    if (at + 4 + n > raw.length) throw bad(field, `BYTES element of ${n} bytes runs past the end of the raw contents`);
    out.push(raw.subarray(at + 4, at + 4 + n));
    at += 4 + n;
  }
  return out;
}

/**
 * Turns a `ModelInferRequest`'s single input tensor into one model input per row,
 * from typed contents (`fp32_contents`, `bytes_contents`) or `raw_input_contents`.
 * Shape, datatype and sizes are checked against the model, naming the field.
 */
export function decodeInferInputs(req: OipInferRequest, spec: FeatureSpec): RequestInput[] {
  if (req.inputs.length !== 1) throw bad('inputs', `the model takes exactly one input tensor ("input"), got ${req.inputs.length}`);
  const t = req.inputs[0]!;
  const raw = req.rawInputContents[0];
  if (raw && (t.contents?.fp32Contents?.length || t.contents?.bytesContents?.length || t.contents?.fp64Contents?.length)) {
    throw bad('inputs[0].contents', 'set either contents or raw_input_contents, not both');
  }
  const shape = t.shape.map(Number);
  const want = oipInput(spec);
  if (t.datatype !== want.datatype && !(spec.kind === 'features' && t.datatype === 'FP64' && !raw)) {
    throw bad('inputs[0].datatype', `model accepts ${want.datatype} ${JSON.stringify(want.shape)} (${spec.kind}), got ${t.datatype || 'none'}`);
  }
  if (spec.kind === 'features') {
    if (shape.length !== 2 || shape[1] !== spec.dim || !(shape[0]! >= 1)) {
      throw bad('inputs[0].shape', `${JSON.stringify(shape)} does not match [-1, ${spec.dim}]`);
    }
    const [n, d] = shape as [number, number];
    let values: ArrayLike<number>;
    if (raw) {
      if (raw.length !== n * d * 4) throw bad('raw_input_contents[0]', `has ${raw.length} bytes, shape ${JSON.stringify(shape)} FP32 needs ${n * d * 4}`);
      const f = new Float32Array(n * d);
      for (let i = 0; i < f.length; i++) f[i] = raw.readFloatLE(i * 4);
      values = f;
    } else {
      values = t.datatype === 'FP64' ? (t.contents?.fp64Contents ?? []) : (t.contents?.fp32Contents ?? []);
      const field = t.datatype === 'FP64' ? 'fp64_contents' : 'fp32_contents';
      if (values.length !== n * d) throw bad(`inputs[0].contents.${field}`, `has ${values.length} values, shape ${JSON.stringify(shape)} needs ${n * d}`);
    }
    return Array.from({ length: n }, (_, i) => ({ features: Array.from({ length: d }, (_, j) => values[i * d + j]!) }));
  }
  if (!(shape.length === 1 || (shape.length === 2 && shape[1] === 1)) || !(shape[0]! >= 1)) {
    throw bad('inputs[0].shape', `${JSON.stringify(shape)} does not match [-1] (one string per row)`);
  }
  const elements = raw ? splitBytes(raw, 'raw_input_contents[0]') : (t.contents?.bytesContents ?? []);
  if (elements.length !== shape[0]) throw bad(raw ? 'raw_input_contents[0]' : 'inputs[0].contents.bytes_contents', `has ${elements.length} elements, shape needs ${shape[0]}`);
  return elements.map((b) => ({ text: b.toString('utf8') }));
}

/** Builds the requested output tensors (all when none is named), raw when the request was raw. */
export function encodeInferOutputs(
  preds: Prediction[],
  labels: string[],
  requested: { name: string }[],
  raw: boolean,
): { outputs: OipTensor[]; rawOutputContents: Buffer[] } {
  const names = requested.length ? requested.map((r, i) => {
    if (!(OIP_OUTPUTS as readonly string[]).includes(r.name)) throw bad(`outputs[${i}].name`, `"${r.name}" is not an output (outputs: ${OIP_OUTPUTS.join(', ')})`);
    return r.name;
  }) : [...OIP_OUTPUTS];
  const n = preds.length;
  const outputs: OipTensor[] = [];
  const rawOutputContents: Buffer[] = [];
  for (const name of names) {
    if (name === 'label') {
      const elements = preds.map((p) => Buffer.from(p.label ?? '', 'utf8'));
      outputs.push({ name, datatype: 'BYTES', shape: [n], ...(raw ? {} : { contents: { bytesContents: elements } }) });
      if (raw) rawOutputContents.push(Buffer.concat(elements.flatMap((e) => [u32(e.length), e])));
      continue;
    }
    const values = name === 'probabilities' ? preds.flatMap((p) => labels.map((l) => p.scores?.[l] ?? 0)) : preds.map((p) => p.confidence ?? 0);
    const shape = name === 'probabilities' ? [n, labels.length] : [n];
    outputs.push({ name, datatype: 'FP32', shape, ...(raw ? {} : { contents: { fp32Contents: values } }) });
    if (raw) rawOutputContents.push(f32(values));
  }
  return { outputs, rawOutputContents };
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

function f32(values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeFloatLE(v, i * 4));
  return b;
}
