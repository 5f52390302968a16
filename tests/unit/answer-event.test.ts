import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/core/index.js';
import { answerEvent, labelRequestSchema, type LabelRequest } from '../../src/labelling/index.js';

const image = PNG.sync.write(new PNG({ width: 20, height: 10 })).toString('base64');
const spans: LabelRequest = { id: 's1', model: 'ner', version: 'v1', input: { text: 'meet Alice' }, structured: { kind: 'spans', labels: ['PER'] }, uncertainty: 1, ts: 1 };
const boxes: LabelRequest = { id: 'b1', model: 'det', version: 'v1', input: { image }, structured: { kind: 'boxes', labels: ['car'] }, uncertainty: 1, ts: 1 };
const classes: LabelRequest = { id: 'c1', model: 'm', version: 'v1', input: { text: 'hi' }, predicted: 'a', scores: { a: 0.6, b: 0.4 }, uncertainty: 0.9, ts: 1 };

/** The reason and field of the error `f` throws. */
function refusal(f: () => unknown): { reason: string; field: string } {
  try {
    f();
  } catch (err) {
    if (err instanceof InvalidInputError) return { reason: err.reason, field: err.field };
    throw err;
  }
  throw new Error('no error');
}

describe("a labeller's answer as a label event", () => {
  it('a class among the scores, a structured label of the kind asked for; the event carries the request id, model and input', () => {
    expect(answerEvent(classes, 'b', 7)).toEqual({ id: 'c1', model: 'm', input: { text: 'hi' }, label: 'b', ts: 7 });
    expect(answerEvent(spans, { spans: [{ start: 5, end: 10, label: 'PER' }] }, 7)).toEqual({ id: 's1', model: 'ner', input: { text: 'meet Alice' }, label: { spans: [{ start: 5, end: 10, label: 'PER' }] }, ts: 7 });
    expect(answerEvent(boxes, { boxes: [{ x: 0, y: 0, w: 20, h: 10, label: 'car' }], units: 'pixels' }, 7).label).toEqual({ boxes: [{ x: 0, y: 0, w: 20, h: 10, label: 'car' }], units: 'pixels' });
    expect(answerEvent(spans, { spans: [] }, 7).label).toEqual({ spans: [] }); // a text with no entity
  });

  it('bad answers are refused naming the field: schema, outside the text or image, overlapping, another kind, a label the request does not have', () => {
    expect(refusal(() => answerEvent(classes, 'c', 1))).toEqual({ reason: 'unknown_label', field: 'label' });
    expect(refusal(() => answerEvent(classes, '__proto__', 1))).toEqual({ reason: 'unknown_label', field: 'label' });
    expect(refusal(() => answerEvent(spans, 'PER', 1))).toEqual({ reason: 'wrong_label_kind', field: 'label' });
    expect(refusal(() => answerEvent(spans, { spans: [{ start: 5, end: 11, label: 'PER' }] }, 1))).toEqual({ reason: 'span_outside_text', field: 'label.spans.0' });
    expect(refusal(() => answerEvent(spans, { spans: [{ start: 5, end: 10, label: 'PER', text: 'Alice' }] }, 1))).toEqual({ reason: 'schema', field: 'label.spans.0' });
    expect(refusal(() => answerEvent(spans, { spans: [{ start: 0, end: 4, label: 'PER' }, { start: 2, end: 6, label: 'PER' }] }, 1))).toEqual({ reason: 'overlapping_spans', field: 'label.spans.1' });
    expect(refusal(() => answerEvent(spans, { spans: [{ start: 5, end: 10, label: 'LOC' }] }, 1))).toEqual({ reason: 'unknown_label', field: 'label.spans.0.label' });
    expect(refusal(() => answerEvent(boxes, { boxes: [{ x: 15, y: 0, w: 6, h: 10, label: 'car' }] }, 1))).toEqual({ reason: 'box_outside_image', field: 'label.boxes.0' });
    expect(refusal(() => answerEvent(boxes, { keypoints: [{ x: 1, y: 1, label: 'car' }] }, 1))).toEqual({ reason: 'wrong_label_kind', field: 'label.keypoints' });
  });

  it('a request is a class request (predicted and scores) or a structured one, not both nor neither', () => {
    expect(labelRequestSchema.safeParse(spans).success).toBe(true);
    expect(labelRequestSchema.safeParse(classes).success).toBe(true);
    expect(labelRequestSchema.safeParse({ ...spans, predicted: 'a', scores: { a: 1 } }).success).toBe(false);
    expect(labelRequestSchema.safeParse({ ...classes, predicted: undefined }).success).toBe(false);
    expect(labelRequestSchema.safeParse({ ...spans, structured: { kind: 'polygons', labels: ['x'] } }).success).toBe(false);
  });
});
