import { MODEL_NAME } from '../core/index.js';
import { decodeParsed, rejectedRecord, type BadRecord, type DecodedRecord, type DecodeTarget } from '../features/index.js';
import { decodeLabelMessage, type DeadLetter, type RawRecord } from '../ingest/index.js';

/**
 * Where a record goes: its model's member and the decoded event, the dead letter it
 * becomes, or nowhere (`bad: null`: a label by reference, the feedback joiner's to complete).
 */
export type Routed<M> = { ok: true; model: string; member: M; decoded: DecodedRecord } | { ok: false; model: string; bad: BadRecord | null };

export interface RouteOptions<M extends { target: DecodeTarget }> {
  /** The model of events that name none. */
  defaultModel: string;
  /** Models this trainer may learn (empty: any). */
  allowed: readonly string[];
  /** The model's member, loading it on its first event; null when the registry has no usable version. */
  member(model: string): Promise<M | null>;
}

/**
 * Which model a record is for (its event's `model`, else the default), decoded
 * against that model's inputs and labels; or why it is dead-lettered:
 * unparseable (`bad_json`, `schema`, …), `wrong_model` (not one this trainer
 * learns) or `unknown_model` (no version in the registry).
 *
 * @example
 * const r = await routeRecord(record, { defaultModel: 'digits', allowed: [], member: (m) => fleet.member(m) });
 * if (!r.ok) letters.push(r.bad);
 */
export async function routeRecord<M extends { target: DecodeTarget }>(record: RawRecord, o: RouteOptions<M>): Promise<Routed<M>> {
  let event;
  try {
    event = decodeLabelMessage(record.value);
  } catch (err) {
    return { ok: false, model: o.defaultModel, bad: rejectedRecord(record, err) };
  }
  if ('prediction_id' in event) return { ok: false, model: event.model ?? o.defaultModel, bad: null };
  const model = event.model ?? o.defaultModel;
  if (o.allowed.length > 0 && !o.allowed.includes(model)) {
    const message = `event is for model "${model}", this trainer learns ${o.allowed.map((m) => `"${m}"`).join(', ')}`;
    return { ok: false, model, bad: { ok: false, record, reason: 'wrong_model', message } };
  }
  const member = MODEL_NAME.test(model) ? await o.member(model) : null;
  if (!member) {
    const message = `model "${model.slice(0, 128)}" has no version in the registry: train it first (streamtune train --model NAME)`;
    return { ok: false, model, bad: { ok: false, record, reason: 'unknown_model', message } };
  }
  return { ok: true, model, member, decoded: decodeParsed(record, event, member.target) };
}

/** Sends records to the dead-letter topic with their reasons, acks them, and counts them by reason. */
export async function deadLetter(
  letters: readonly BadRecord[],
  o: { deadLetters: { send(letters: DeadLetter[]): Promise<void> }; ack(record: RawRecord): void },
): Promise<Record<string, number>> {
  await o.deadLetters.send(letters.map((b) => ({ record: b.record, reason: b.reason, message: b.message })));
  const byReason: Record<string, number> = {};
  for (const b of letters) {
    byReason[b.reason] = (byReason[b.reason] ?? 0) + 1;
    o.ack(b.record);
  }
  return byReason;
}
