import { InvalidInputError } from '../core/index.js';
import { timeoutMicros } from './infer-timeout.js';
import { float32Json } from './float32-json.js';
import type { OipFieldNames, OipInferRequest, OipTensor, OutputTensor } from './oip-tensors.js';
import { rawTensorBytes } from './oip-tensors.js';

/** How REST names the parts of an inference request in errors. */
export const REST_FIELD_NAMES: OipFieldNames = {
  contents: () => 'inputs[0].data',
  raw: 'inputs[0] binary data',
};

/** A parsed `POST …/infer` body: the request as the engine reads it, and how to answer. */
export interface RestInferRequest {
  request: OipInferRequest;
  /** Output names answered as binary data (the binary tensor data extension); the others as JSON. */
  binaryOutputs: (name: string) => boolean;
  /** `parameters.timeout` in µs (as Triton documents it); undefined: none. */
  timeoutUs: number | undefined;
}

type Json = Record<string, unknown>;

const bad = (field: string, message: string): InvalidInputError => new InvalidInputError('bad_request', field, `${field}: ${message}`);
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Deepest nesting of arrays and objects in a REST body: a tensor of rank ~28 still fits in `inputs[i].data`. */
export const MAX_JSON_DEPTH = 32;

/**
 * Refuses a body nested deeper than `max` arrays and objects, naming the field
 * (its first three levels: `inputs[0].data`). Iterative, because what reads the
 * body next (flattening `data`, `String(name)`) recurses and would overflow the
 * stack on 100,000 levels; JSON.parse itself does not.
 */
function checkDepth(root: unknown, max: number): void {
  const stack: [unknown, number, string][] = [[root, 1, '']];
  while (stack.length > 0) {
    const [value, depth, field] = stack.pop()!;
    if (depth > max) throw bad(field || 'body', `nested more than ${max} levels of arrays and objects deep`);
    const named = depth <= 3;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const c: unknown = value[i];
        if (typeof c === 'object' && c !== null) stack.push([c, depth + 1, named ? `${field}[${i}]` : field]);
      }
    } else {
      for (const [k, c] of Object.entries(value as Json)) {
        if (typeof c === 'object' && c !== null) stack.push([c, depth + 1, named ? (field ? `${field}.${k}` : k) : field]);
      }
    }
  }
}

/** Row-major flattening of `data`, which the spec allows flat or nested. */
function flatten(data: unknown[], out: unknown[] = []): unknown[] {
  for (const d of data) {
    if (Array.isArray(d)) flatten(d, out);
    else out.push(d);
  }
  return out;
}

function typedContents(datatype: string, data: unknown[], field: string): OipTensor['contents'] {
  if (datatype === 'BYTES') {
    return {
      bytesContents: data.map((d, i) => {
        if (typeof d !== 'string') throw bad(`${field}[${i}]`, `BYTES elements are strings in JSON, got ${JSON.stringify(d)}`);
        return Buffer.from(d, 'utf8');
      }),
    };
  }
  const values = data.map((d, i) => {
    if (typeof d !== 'number') throw bad(`${field}[${i}]`, `is ${JSON.stringify(d)}, not a number`);
    return d;
  });
  // Other numeric datatypes are refused by the input check, which names what the model reads.
  return datatype === 'FP64' ? { fp64Contents: values } : { fp32Contents: values };
}

/**
 * Parses a KServe v2 REST inference body: JSON, or with the binary tensor data
 * extension a JSON header of `headerLength` bytes followed by each binary input
 * (`parameters.binary_data_size`) in order. Errors name the field.
 *
 * @example
 * parseRestInfer(Buffer.from('{"inputs":[{"name":"input","datatype":"FP32","shape":[1,2],"data":[1,2]}]}'), undefined, 'digits', '');
 */
export function parseRestInfer(body: Buffer, headerLength: number | undefined, model: string, version: string): RestInferRequest {
  if (headerLength !== undefined && !(Number.isInteger(headerLength) && headerLength >= 0 && headerLength <= body.length)) {
    throw bad('Inference-Header-Content-Length', `${headerLength} is not a length within the ${body.length}-byte body`);
  }
  const jsonPart = headerLength === undefined ? body : body.subarray(0, headerLength);
  let parsed: unknown;
  try {
    parsed = JSON.parse(jsonPart.toString('utf8'));
  } catch (err) {
    throw bad('body', `not JSON: ${(err as Error).message}`);
  }
  if (!isObject(parsed)) throw bad('body', 'must be a JSON object with "inputs"');
  checkDepth(parsed, MAX_JSON_DEPTH);
  if (!Array.isArray(parsed.inputs) || parsed.inputs.length === 0) throw bad('inputs', 'must be a non-empty array of tensors');
  const params = isObject(parsed.parameters) ? parsed.parameters : {};
  let offset = headerLength ?? body.length;
  const rawInputContents: Buffer[] = [];
  const inputs = parsed.inputs.map((t: unknown, i: number): OipTensor => {
    const field = `inputs[${i}]`;
    if (!isObject(t)) throw bad(field, 'must be an object with name, datatype, shape and data');
    if (typeof t.datatype !== 'string') throw bad(`${field}.datatype`, 'must be a string such as "FP32"');
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d))) throw bad(`${field}.shape`, 'must be an array of integers');
    const size = isObject(t.parameters) ? t.parameters.binary_data_size : undefined;
    if (size !== undefined) {
      if (!(Number.isInteger(size) && (size as number) >= 0)) throw bad(`${field}.parameters.binary_data_size`, 'must be a byte count');
      if (offset + (size as number) > body.length) throw bad(`${field}.parameters.binary_data_size`, `${size} bytes run past the end of the body`);
      rawInputContents[i] = body.subarray(offset, offset + (size as number));
      offset += size as number;
      return { name: String(t.name ?? ''), datatype: t.datatype, shape: t.shape as number[] };
    }
    if (!Array.isArray(t.data)) throw bad(`${field}.data`, 'must be an array (or send the tensor as binary data)');
    return { name: String(t.name ?? ''), datatype: t.datatype, shape: t.shape as number[], contents: typedContents(t.datatype, flatten(t.data), `${field}.data`) };
  });
  if (offset !== body.length) throw bad('body', `${body.length - offset} bytes of binary data follow the inputs' binary_data_size`);
  const outputs = Array.isArray(parsed.outputs) ? parsed.outputs : [];
  const binary = new Map<string, boolean>();
  const requested = outputs.map((o: unknown, i: number) => {
    if (!isObject(o) || typeof o.name !== 'string') throw bad(`outputs[${i}]`, 'must be an object with a name');
    const p = isObject(o.parameters) ? o.parameters.binary_data : undefined;
    if (typeof p === 'boolean') binary.set(o.name, p);
    return { name: o.name };
  });
  const binaryDefault = params.binary_data_output === true;
  return {
    request: {
      modelName: model,
      modelVersion: version,
      id: typeof parsed.id === 'string' ? parsed.id : '',
      inputs,
      outputs: requested,
      // Only the first input is read (the models take one); a missing entry means typed data.
      rawInputContents: rawInputContents[0] ? [rawInputContents[0]] : [],
    },
    binaryOutputs: (name) => binary.get(name) ?? binaryDefault,
    timeoutUs: timeoutMicros(params.timeout, 'parameters.timeout'),
  };
}

/**
 * The REST answer to an inference: JSON tensors, or with binary outputs a JSON
 * header (its length in `Inference-Header-Content-Length`) followed by their bytes.
 */
export function encodeRestInfer(
  answer: { model: string; version: string; id: string; outputs: OutputTensor[]; parameters?: Record<string, string> },
  binaryOutputs: (name: string) => boolean,
): { body: Buffer; headers: Record<string, string> } {
  const chunks: Buffer[] = [];
  const outputs = answer.outputs.map((t) => {
    if (binaryOutputs(t.name)) {
      const bytes = rawTensorBytes(t);
      chunks.push(bytes);
      return { name: t.name, datatype: t.datatype, shape: t.shape, parameters: { binary_data_size: bytes.length } };
    }
    // FP32 values as float32 holds them (0.1, not 0.10000000149011612): the digits a float32 reader gets back.
    const data = t.datatype === 'BYTES' ? (t.data as Buffer[]).map((b) => b.toString('utf8')) : (t.data as number[]).map(float32Json);
    return { name: t.name, datatype: t.datatype, shape: t.shape, data };
  });
  const json = Buffer.from(JSON.stringify({ model_name: answer.model, model_version: answer.version, ...(answer.id ? { id: answer.id } : {}), ...(answer.parameters ? { parameters: answer.parameters } : {}), outputs }), 'utf8');
  if (chunks.length === 0) return { body: json, headers: { 'content-type': 'application/json' } };
  return {
    body: Buffer.concat([json, ...chunks]),
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(json.length) },
  };
}
