import { describe, expect, it } from 'vitest';
import type { LabelReference, PredictionRecord } from '../../src/ingest/index.js';
import { JoinState, noEffects } from '../../src/labelling/index.js';

const prediction = (id: string, ts: number): PredictionRecord => ({ id, model: 'm', version: 'v1', input: { features: [1, 2] }, output: { label: 'a', confidence: 0.7 }, ts });
const ref = (pid: string, label = 'a', ts = 50): LabelReference => ({ id: `f-${pid}-${label}`, model: 'm', prediction_id: pid, label, ts });
const source = { topic: 'labels', partition: 0, offset: '7' };

describe('JoinState', () => {
  it('joins a label to its prediction, in either order, once; a second label is duplicate_feedback', () => {
    let now = 100;
    const s = new JoinState(1000, () => now);
    const fx = noEffects();
    s.prediction(prediction('p1', 10), fx);
    s.reference(ref('p1'), source, fx);
    expect(fx.joined.map((j) => j.event)).toEqual([{ id: 'p1', model: 'm', input: { features: [1, 2] }, label: 'a', ts: 50 }]);
    expect(fx.state).toEqual([{ id: 'p1', value: { state: 'labelled', ts: 10 } }]);

    // The label first: it waits (persisted), and is joined when the prediction arrives.
    const later = noEffects();
    s.reference(ref('p2', 'b'), source, later);
    expect(later.joined).toEqual([]);
    expect(later.state[0]).toMatchObject({ id: 'p2', value: { state: 'pending', receivedAt: 100 } });
    now = 200;
    s.prediction(prediction('p2', 150), later);
    expect(later.joined.map((j) => [j.event.id, j.event.label])).toEqual([['p2', 'b']]);

    const dup = noEffects();
    s.reference(ref('p1', 'b'), source, dup);
    s.prediction(prediction('p1', 10), dup); // re-read after a restart: not joined again
    expect(dup.joined).toEqual([]);
    expect(dup.deadLetters.map((d) => d.reason)).toEqual(['duplicate_feedback']);
  });

  it('closes windows: a label that waited a window is no_prediction; old predictions and labelled ids are forgotten', () => {
    let now = 0;
    const s = new JoinState(1000, () => now);
    const fx = noEffects();
    s.reference(ref('ghost'), source, fx);
    s.prediction(prediction('old', 0), fx);
    s.prediction(prediction('done', 0), fx);
    s.reference(ref('done'), source, fx);
    now = 999;
    const early = noEffects();
    s.sweep(early);
    expect(early.deadLetters).toEqual([]);
    now = 1000;
    const closed = noEffects();
    s.sweep(closed);
    expect(closed.deadLetters.map((d) => [d.reason, d.ref.prediction_id, d.source.offset])).toEqual([['no_prediction', 'ghost', '7']]);
    expect(closed.state).toEqual([{ id: 'ghost', value: null }, { id: 'done', value: null }]);
    expect([s.pending.size, s.predictions.size, s.labelled.size]).toEqual([0, 0, 0]);
    // A prediction already past its window is not kept.
    s.prediction(prediction('stale', 0), noEffects());
    expect(s.predictions.has('stale')).toBe(false);
  });

  it('restores from state records, the last one of an id winning', () => {
    const s = new JoinState(1000, () => 0);
    s.restore('a', { state: 'pending', ref: ref('a'), receivedAt: 0, source });
    s.restore('a', { state: 'labelled', ts: 0 });
    s.restore('b', { state: 'labelled', ts: 0 });
    s.restore('b', null);
    expect([[...s.labelled.keys()], [...s.pending.keys()]]).toEqual([['a'], []]);
  });
});
