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
  /** Request parameters; `timeout` (µs, an `int64_param`) is read as Triton documents it. */
  parameters?: Record<string, OipParameter>;
}

/** `InferParameter` as proto-loader decodes it (int64 as a string). */
export interface OipParameter {
  boolParam?: boolean;
  int64Param?: string | number;
  stringParam?: string;
  parameterChoice?: string;
}

export interface OipInferResponse {
  modelName: string;
  modelVersion: string;
  id: string;
  /** `prediction_ids` when the call was logged. */
  parameters?: Record<string, { stringParam: string }>;
  outputs: OipTensor[];
  rawOutputContents: Buffer[];
}

/**
 * How a protocol names the parts of a request in error messages: gRPC says
 * `inputs[0].contents.fp32_contents` and `raw_input_contents[0]`, REST says
 * `inputs[0].data` and `inputs[0] binary data`.
 */
export interface OipFieldNames {
  /** Where the typed values of a datatype are (`fp32_contents`, `fp64_contents`, `bytes_contents`). */
  contents(datatype: 'FP32' | 'FP64' | 'BYTES'): string;
  /** Where the raw bytes of input 0 are. */
  raw: string;
}

export const GRPC_FIELD_NAMES: OipFieldNames = {
  contents: (datatype) => `inputs[0].contents.${datatype.toLowerCase()}_contents`,
  raw: 'raw_input_contents[0]',
};

/** The output tensors streamtune's classifiers produce, in this order. */
export const OIP_OUTPUTS = ['probabilities', 'label', 'confidence'] as const;
/** The output of span models: per row, a JSON array of `{start, end, label, text}` (BYTES [-1]). */
export const OIP_SPAN_OUTPUTS = ['spans'] as const;

/** Output names of a model of this task. */
export function outputNames(task: string): readonly OutputTensor['name'][] {
  return task === 'spans' ? OIP_SPAN_OUTPUTS : OIP_OUTPUTS;
}

/** Datatypes a feature model reads: FP32 (what it computes in) and FP64 (numpy's default), typed or raw. */
const FEATURE_DATATYPES: Record<string, number> = { FP32: 4, FP64: 8 };

/** The OIP view of a model's input: FP32 [-1, dim] for feature vectors, BYTES [-1] for text. */
export function oipInput(spec: FeatureSpec): { name: string; datatype: string; shape: number[] } {
  return spec.kind === 'features' ? { name: 'input', datatype: 'FP32', shape: [-1, spec.dim] } : { name: 'input', datatype: 'BYTES', shape: [-1] };
}

/** The model's tensors as `ModelMetadata` reports them (`k` classes; a span model: its `spans`). */
export function oipOutputs(k: number, task = 'classification'): { name: string; datatype: string; shape: number[] }[] {
  if (task === 'spans') return [{ name: 'spans', datatype: 'BYTES', shape: [-1] }];
  return OIP_OUTPUTS.map((name) =>
    name === 'probabilities' ? { name, datatype: 'FP32', shape: [-1, k] } : { name, datatype: name === 'label' ? 'BYTES' : 'FP32', shape: [-1] },
  );
}

const bad = (field: string, message: string): InvalidInputError => new InvalidInputError('bad_tensor', field, `${field}: ${message}`);

/** BYTES raw encoding of the spec: each element is a 4-byte little-endian length, then its bytes. */
export function splitBytes(raw: Buffer, field: string): Buffer[] {
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

/** Joins BYTES elements as the spec's raw encoding (length-prefixed). */
export function joinBytes(elements: Buffer[]): Buffer {
  return Buffer.concat(elements.flatMap((e) => [u32(e.length), e]));
}

/**
 * Turns an inference request's single input tensor into one model input per row,
 * from typed contents (`fp32_contents`, `fp64_contents`, `bytes_contents`) or raw
 * little-endian bytes. Shape, datatype and sizes are checked against the model,
 * naming the field as the caller's protocol does (`names`). A feature model takes
 * FP32 or FP64, typed or raw alike.
 */
export function decodeInferInputs(req: Pick<OipInferRequest, 'inputs' | 'rawInputContents'>, spec: FeatureSpec, names: OipFieldNames = GRPC_FIELD_NAMES): RequestInput[] {
  if (req.inputs.length !== 1) throw bad('inputs', `the model takes exactly one input tensor ("input"), got ${req.inputs.length}`);
  const t = req.inputs[0]!;
  const want = oipInput(spec);
  // Triton refuses an input the model does not have; accepting it would answer a request meant for another model.
  if (t.name !== want.name) throw bad('inputs[0].name', `${JSON.stringify(t.name)} is not an input of the model (its input: "${want.name}")`);
  const raw = req.rawInputContents[0];
  if (raw && (t.contents?.fp32Contents?.length || t.contents?.bytesContents?.length || t.contents?.fp64Contents?.length)) {
    throw bad('inputs[0].contents', `set either the typed contents or ${names.raw}, not both`);
  }
  const shape = t.shape.map(Number);
  const accepted = spec.kind === 'features' ? t.datatype in FEATURE_DATATYPES : t.datatype === 'BYTES';
  if (!accepted) {
    const also = spec.kind === 'features' ? '; FP64 also accepted' : '';
    throw bad('inputs[0].datatype', `model accepts ${want.datatype} ${JSON.stringify(want.shape)} (${spec.kind}${also}), got ${t.datatype || 'none'}`);
  }
  if (spec.kind === 'features') {
    if (shape.length !== 2 || shape[1] !== spec.dim || !(shape[0]! >= 1)) {
      throw bad('inputs[0].shape', `${JSON.stringify(shape)} does not match [-1, ${spec.dim}]`);
    }
    const [n, d] = shape as [number, number];
    const datatype = t.datatype as 'FP32' | 'FP64';
    let values: ArrayLike<number>;
    if (raw) {
      const size = FEATURE_DATATYPES[datatype]!;
      if (raw.length !== n * d * size) throw bad(names.raw, `has ${raw.length} bytes, shape ${JSON.stringify(shape)} ${datatype} needs ${n * d * size}`);
      const f = new Float64Array(n * d);
      for (let i = 0; i < f.length; i++) f[i] = datatype === 'FP64' ? raw.readDoubleLE(i * 8) : raw.readFloatLE(i * 4);
      values = f;
    } else {
      values = (datatype === 'FP64' ? t.contents?.fp64Contents : t.contents?.fp32Contents) ?? [];
      if (values.length !== n * d) throw bad(names.contents(datatype), `has ${values.length} values, shape ${JSON.stringify(shape)} needs ${n * d}`);
    }
    return Array.from({ length: n }, (_, i) => ({ features: Array.from({ length: d }, (_, j) => values[i * d + j]!) }));
  }
  if (!(shape.length === 1 || (shape.length === 2 && shape[1] === 1)) || !(shape[0]! >= 1)) {
    throw bad('inputs[0].shape', `${JSON.stringify(shape)} does not match [-1] (one string per row)`);
  }
  const elements = raw ? splitBytes(raw, names.raw) : (t.contents?.bytesContents ?? []);
  if (elements.length !== shape[0]) throw bad(raw ? names.raw : names.contents('BYTES'), `has ${elements.length} elements, shape needs ${shape[0]}`);
  return elements.map((b) => ({ text: b.toString('utf8') }));
}

/** One output tensor's values: numbers for FP32, byte strings for BYTES. */
export interface OutputTensor {
  name: (typeof OIP_OUTPUTS)[number] | (typeof OIP_SPAN_OUTPUTS)[number];
  datatype: 'FP32' | 'BYTES';
  shape: number[];
  data: number[] | Buffer[];
}

/** The requested outputs (all when none is named), checked by name against the outputs of the model's task. */
export function requestedOutputs(requested: { name: string }[], task = 'classification'): OutputTensor['name'][] {
  const all = outputNames(task);
  if (requested.length === 0) return [...all];
  return requested.map((r, i) => {
    if (!(all as readonly string[]).includes(r.name)) throw bad(`outputs[${i}].name`, `"${r.name}" is not an output (outputs: ${all.join(', ')})`);
    return r.name as OutputTensor['name'];
  });
}

/** The values of the named outputs for a batch of predictions (`labels` in the model's class order). */
export function outputTensors(preds: Prediction[], labels: string[], names: OutputTensor['name'][]): OutputTensor[] {
  const n = preds.length;
  return names.map((name): OutputTensor => {
    if (name === 'spans') return { name, datatype: 'BYTES', shape: [n], data: preds.map((p) => Buffer.from(JSON.stringify(p.spans ?? []), 'utf8')) };
    if (name === 'label') return { name, datatype: 'BYTES', shape: [n], data: preds.map((p) => Buffer.from(p.label ?? '', 'utf8')) };
    if (name === 'probabilities') return { name, datatype: 'FP32', shape: [n, labels.length], data: preds.flatMap((p) => labels.map((l) => p.scores?.[l] ?? 0)) };
    return { name, datatype: 'FP32', shape: [n], data: preds.map((p) => p.confidence ?? 0) };
  });
}

/** An output tensor's raw little-endian bytes (FP32), or length-prefixed elements (BYTES). */
export function rawTensorBytes(t: OutputTensor): Buffer {
  return t.datatype === 'BYTES' ? joinBytes(t.data as Buffer[]) : f32(t.data as number[]);
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
