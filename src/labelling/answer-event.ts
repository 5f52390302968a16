import { InvalidInputError } from '../core/index.js';
import { decodeEvent, isStructured, itemLabels, structuredKind, type EventInput, type LabelEvent } from '../ingest/index.js';
import type { LabelRequest } from './label-request.js';

/**
 * The label event of a labeller's answer to a request: a class among the
 * request's scores, or a structured label of the kind the request asks for,
 * checked as the trainer checks events (the schema, spans inside the text and
 * not overlapping, boxes and keypoints inside the image, through
 * {@link decodeEvent}) and against the request's labels. Throws
 * {@link InvalidInputError} naming the field (e.g. `label.boxes.0`), so a bad
 * answer is refused before it reaches the labels topic.
 *
 * @example
 * answerEvent(spansRequest, { spans: [{ start: 5, end: 10, label: 'PER' }] }, Date.now()); // { id, model, input, label, ts }
 * answerEvent(spansRequest, { spans: [{ start: 5, end: 99, label: 'PER' }] }, Date.now()); // throws span_outside_text, field label.spans.0
 */
export function answerEvent(item: LabelRequest, label: unknown, ts: number): LabelEvent {
  const base = { id: item.id, model: item.model, input: item.input as EventInput, ts };
  const s = item.structured;
  if (!s) {
    // Own keys only: "constructor" or "__proto__" are in every object, not classes of the model.
    if (typeof label !== 'string' || !Object.hasOwn(item.scores ?? {}, label)) {
      throw new InvalidInputError('unknown_label', 'label', `label must be one of ${Object.keys(item.scores ?? {}).join(', ')}`);
    }
    return { ...base, label };
  }
  if (!isStructured(label)) throw new InvalidInputError('wrong_label_kind', 'label', `label must be {"${s.kind}": [...]} for request "${item.id}"`);
  const event = decodeEvent(JSON.stringify({ ...base, label }));
  const got = event.label as Exclude<LabelEvent['label'], string | number | null>;
  const kind = structuredKind(got);
  if (kind !== s.kind) throw new InvalidInputError('wrong_label_kind', `label.${kind}`, `label.${kind}: request "${item.id}" asks for ${s.kind}`);
  itemLabels(got).forEach((name, i) => {
    if (!s.labels.includes(name)) {
      const field = `label.${kind}.${i}.label`;
      throw new InvalidInputError('unknown_label', field, `${field} "${name.slice(0, 64)}" is not one of the request's labels (${s.labels.join(', ')})`);
    }
  });
  return event;
}
