import { SpanKind, SpanStatusCode, type SpanContext } from '@opentelemetry/api';
import { map, type OperatorFunction } from 'rxjs';
import { contextFromTraceparent, InvalidInputError, sampledContext, TRACE_ATTR, tracer } from '../core/index.js';
import { decodeEvent, isStructured, itemLabels, structuredKind, type LabelEvent, type RawRecord, type StructuredKind } from '../ingest/index.js';
import type { FeatureSpec } from './feature-spec.js';
import { featurize } from './featurize.js';

/** A record that decoded and featurized, ready to learn. */
export interface GoodRecord {
  ok: true;
  record: RawRecord;
  event: LabelEvent;
  x: number[];
  /** The decode span's context, when the record carried a sampled `traceparent` and tracing is on: the step links to it. */
  trace?: SpanContext;
}

/** A record rejected with a reason code (for the DLQ and the metric label) and a message. */
export interface BadRecord {
  ok: false;
  record: RawRecord;
  reason: string;
  message: string;
}

export type DecodedRecord = GoodRecord | BadRecord;

/** What the decoder checks events against: the model's input and label set. */
export interface DecodeTarget {
  featureSpec: FeatureSpec;
  /** Known labels; an event with another label is rejected as `unknown_label` (for a structured label: any item's label). */
  labels?: readonly string[];
  /** The structured label kind the model learns (a span tagger: `spans`); absent for classes and numbers. */
  structured?: StructuredKind;
  /** Only events for this model (or with no model) are accepted. */
  model?: string;
}

/**
 * Decodes, validates and featurizes one record. Never throws for bad input:
 * rejects become {@link BadRecord}s so the stream goes on.
 */
export function decodeRecord(record: RawRecord, target: DecodeTarget): DecodedRecord {
  return decodeWith(record, target, target.labels ? new Set(target.labels) : undefined);
}

function decodeWith(record: RawRecord, target: DecodeTarget, labels: ReadonlySet<string> | undefined): DecodedRecord {
  let out: DecodedRecord;
  try {
    out = checkEvent(record, decodeEvent(record.value), target, labels);
  } catch (err) {
    out = rejectedRecord(record, err);
  }
  return record.traceparent ? traced(out) : out;
}

/**
 * Records the decode span of a record that carried a `traceparent` (child of
 * the producer's span, so the label's trace holds it) and keeps its context on
 * the good record. Records without one cost nothing here.
 */
function traced(d: DecodedRecord): DecodedRecord {
  const { record } = d;
  const span = tracer.startSpan(
    'streamtune.decode',
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.destination.name': record.topic,
        'messaging.destination.partition.id': String(record.partition),
        'messaging.kafka.offset': Number(record.offset),
        ...(d.ok ? { [TRACE_ATTR.eventId]: d.event.id, ...(d.event.model ? { [TRACE_ATTR.model]: d.event.model } : {}) } : { 'error.type': d.reason }),
      },
    },
    contextFromTraceparent(record.traceparent, record.tracestate),
  );
  if (!d.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: d.message });
  span.end();
  const sc = span.spanContext();
  if (d.ok && sampledContext(sc)) d.trace = sc;
  return d;
}

/**
 * Checks and featurizes an event already parsed from `record` (a trainer of many
 * models parses once to read `event.model`, then decodes with that model's spec).
 * Never throws for bad input.
 *
 * @example
 * const event = decodeEvent(record.value);
 * decodeParsed(record, event, targets.get(event.model ?? 'digits'));
 */
export function decodeParsed(record: RawRecord, event: LabelEvent, target: DecodeTarget): DecodedRecord {
  let out: DecodedRecord;
  try {
    out = checkEvent(record, event, target);
  } catch (err) {
    out = rejectedRecord(record, err);
  }
  return record.traceparent ? traced(out) : out;
}

/** The rejected record for an error thrown while decoding (a reason code from InvalidInputError, else `internal`). */
export function rejectedRecord(record: RawRecord, err: unknown): BadRecord {
  if (err instanceof InvalidInputError) return { ok: false, record, reason: err.reason, message: err.message };
  return { ok: false, record, reason: 'internal', message: (err as Error).message };
}

/** `labels`: the target's labels as a set, when the caller built one for many records. */
function checkEvent(record: RawRecord, event: LabelEvent, target: DecodeTarget, labels?: ReadonlySet<string>): GoodRecord {
  if (target.model && event.model && event.model !== target.model) {
    throw new InvalidInputError('wrong_model', 'model', `event is for model "${event.model}", this trainer learns "${target.model}"`);
  }
  if (event.label !== null) checkLabelKind(event.label, target);
  const known = (l: string): boolean => !target.labels || (labels ? labels.has(l) : target.labels.includes(l));
  if (isStructured(event.label)) {
    const names = itemLabels(event.label);
    const i = names.findIndex((l) => !known(l));
    if (i >= 0) {
      const field = `label.${structuredKind(event.label)}.${i}.label`;
      throw new InvalidInputError('unknown_label', field, `${field} "${names[i]}" is not one of the model's labels (${target.labels!.join(', ')})`);
    }
  } else if (event.label !== null && !known(String(event.label))) {
    throw new InvalidInputError('unknown_label', 'label', `label "${event.label}" is not one of the model's labels (${target.labels!.join(', ')})`);
  }
  return { ok: true, record, event, x: featurize(event.input, target.featureSpec) };
}

/** A structured label for a model of classes or numbers, or a class or number for a span model: `wrong_label_kind`. */
function checkLabelKind(label: NonNullable<LabelEvent['label']>, target: DecodeTarget): void {
  const kind = isStructured(label) ? structuredKind(label) : null;
  if (kind === (target.structured ?? null)) return;
  const wants = target.structured ? `a "${target.structured}" label` : 'a class or a number';
  throw new InvalidInputError('wrong_label_kind', 'label', `the model learns ${wants}, got ${kind ? `"${kind}"` : `"${String(label)}"`}`);
}

/**
 * Pipeline stage: raw Kafka records in, decoded or rejected records out.
 *
 * @example
 * source.records().pipe(decodeRecords({ featureSpec, labels }));
 */
export function decodeRecords(target: DecodeTarget): OperatorFunction<RawRecord, DecodedRecord> {
  const labels = target.labels ? new Set(target.labels) : undefined;
  return map((r) => decodeWith(r, target, labels));
}

/**
 * Decodes whole micro-batches against one target (its label set built once).
 * A trainer decodes each batch right before its step rather than as records
 * arrive: records wait in flight for several steps, and decoded ones (parsed
 * JSON, feature vectors) that wait that long outlive V8's young-generation
 * collections and pile up in the old generation; raw ones are small.
 *
 * @example
 * const decode = batchDecoder({ featureSpec, labels });
 * source.records().pipe(microBatch(256, 50), concatMap((batch) => step(decode(batch))));
 */
export function batchDecoder(target: DecodeTarget): (records: readonly RawRecord[]) => DecodedRecord[] {
  const labels = target.labels ? new Set(target.labels) : undefined;
  return (records) => records.map((r) => decodeWith(r, target, labels));
}
