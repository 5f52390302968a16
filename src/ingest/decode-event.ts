import { InvalidInputError } from '../core/index.js';
import { checkStructuredLabel } from './check-structured-label.js';
import { labelEventSchema, labelReferenceSchema, MAX_EVENT_BYTES, type LabelEvent, type LabelReference } from './label-event.js';
import { isStructured, structuredLabelSchema } from './structured-label.js';

/**
 * Parses and validates one label event from its raw bytes.
 * Throws {@link InvalidInputError} whose `reason` is one of `too_large`, `bad_json`,
 * `non_finite` or `schema` (or, for a structured label, one of
 * {@link checkStructuredLabel}'s), and whose message names the offending field.
 *
 * @example
 * decodeEvent(Buffer.from('{"id":"a","input":{"features":[1,2]},"label":"x"}'));
 */
export function decodeEvent(bytes: Buffer | string | null): LabelEvent {
  const event = decodeLabelMessage(bytes);
  if ('prediction_id' in event) throw new InvalidInputError('schema', 'input', 'field "input": a label by reference (prediction_id) is joined to its input by the feedback joiner first');
  return event;
}

/**
 * Parses a record of the labels topic: a complete {@link LabelEvent}, or a
 * {@link LabelReference} (`prediction_id` instead of `input`, for the joiner).
 * Throws as {@link decodeEvent} does.
 *
 * @example
 * decodeLabelMessage('{"id":"f1","prediction_id":"p-42","label":"cat"}'); // a reference
 */
export function decodeLabelMessage(bytes: Buffer | string | null): LabelEvent | LabelReference {
  if (bytes === null || bytes.length === 0) {
    throw new InvalidInputError('empty', 'value', 'event value is empty');
  }
  if (bytes.length > MAX_EVENT_BYTES) {
    throw new InvalidInputError('too_large', 'value', `event is ${bytes.length} bytes, over the limit of ${MAX_EVENT_BYTES}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch (err) {
    throw new InvalidInputError('bad_json', 'value', `event is not valid JSON: ${(err as Error).message}`);
  }
  // A reference is told by its prediction_id and no input; anything else is checked as a complete event.
  const byReference = json !== null && typeof json === 'object' && 'prediction_id' in json && !('input' in json);
  const parsed = (byReference ? labelReferenceSchema : labelEventSchema).safeParse(json);
  if (!parsed.success) {
    // JSON numbers out of double range (1e999, -1e999) parse to ±Infinity: name them
    // whatever field they are in, rather than report a type mismatch. Every number
    // the schema accepts is finite and it accepts no other keys, so an event with one
    // always lands here: the walk is off the path of good events (it was ~4% of a
    // trainer's CPU, see docs/benchmarks.md).
    const infinite = nonFinitePath(json);
    if (infinite) {
      const field = infinite.path.join('.');
      throw new InvalidInputError('non_finite', field, `field "${field}": ${infinite.value} is not a finite number (out of range)`);
    }
    // A structured label that fails the union is re-checked alone, so the error names its field (`label.spans.0.end`).
    const label = (json as { label?: unknown } | null)?.label;
    const structured = isStructured(label) ? structuredLabelSchema.safeParse(label) : null;
    const issue = structured && !structured.success ? { ...structured.error.issues[0]!, path: ['label', ...structured.error.issues[0]!.path] } : parsed.error.issues[0]!;
    const field = issue.path.length > 0 ? issue.path.join('.') : 'event';
    throw new InvalidInputError('schema', field, `field "${field}": ${issue.message}`);
  }
  if (byReference) return parsed.data as LabelReference;
  const event = parsed.data as LabelEvent;
  if (isStructured(event.label)) checkStructuredLabel(event.input, event.label);
  return event;
}

/** Where the first non-finite number in parsed JSON is (depth first), or null; no allocation on the common path. */
function nonFinitePath(v: unknown): { path: (string | number)[]; value: number } | null {
  if (typeof v === 'number') return Number.isFinite(v) ? null : { path: [], value: v };
  if (v === null || typeof v !== 'object') return null;
  for (const [k, child] of Array.isArray(v) ? v.entries() : Object.entries(v)) {
    if (typeof child !== 'object' && typeof child !== 'number') continue;
    const found = nonFinitePath(child);
    if (found) return { path: [k, ...found.path], value: found.value };
  }
  return null;
}
