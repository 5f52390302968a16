import type { LabelEvent, LabelReference, PredictionRecord, RawRecord } from '../ingest/index.js';

/** Where a label by reference was read: its record, for the dead-letter topic. */
export type RefSource = Pick<RawRecord, 'topic' | 'partition' | 'offset'>;

/** A record of the joiner's compacted state topic (key = prediction id; null = forgotten). */
export type StateRecord =
  /** The prediction was labelled (`ts`: the prediction's time, to forget it when its window closes). */
  | { state: 'labelled'; ts: number }
  /** A label whose prediction was not seen yet, since `receivedAt`. */
  | { state: 'pending'; ref: LabelReference; receivedAt: number; source: RefSource };

/** A label joined to its prediction: the complete event, and what the live metrics need. */
export interface Joined {
  event: LabelEvent;
  prediction: PredictionRecord;
  ref: LabelReference;
}

/** What one step of the joiner writes, all in one transaction. */
export interface JoinEffects {
  joined: Joined[];
  deadLetters: { ref: LabelReference; source: RefSource; reason: 'no_prediction' | 'duplicate_feedback'; message: string }[];
  state: { id: string; value: StateRecord | null }[];
}

export const noEffects = (): JoinEffects => ({ joined: [], deadLetters: [], state: [] });

/**
 * The joiner's memory: logged predictions of the window, ids already labelled,
 * and labels waiting for their prediction. Each method changes it and says what
 * to write (the joined events, dead letters and state records) in `fx`; the
 * writes of one step go out in one transaction, and a joiner whose transaction
 * fails starts over from the state topic, so memory never outlives a lost write.
 *
 * @example
 * const s = new JoinState(7 * 86_400_000);
 * const fx = noEffects();
 * s.prediction(record, fx); s.reference(ref, source, fx); // fx.joined has one event
 */
export class JoinState {
  readonly predictions = new Map<string, PredictionRecord>();
  readonly labelled = new Map<string, number>();
  readonly pending = new Map<string, { ref: LabelReference; receivedAt: number; source: RefSource }>();

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Replays one record of the state topic (at start). */
  restore(id: string, value: StateRecord | null): void {
    this.labelled.delete(id);
    this.pending.delete(id);
    if (value?.state === 'labelled') this.labelled.set(id, value.ts);
    else if (value?.state === 'pending') this.pending.set(id, { ref: value.ref, receivedAt: value.receivedAt, source: value.source });
  }

  /** A logged prediction: kept for its window, and joined at once to a label that waited for it. */
  prediction(p: PredictionRecord, fx: JoinEffects): void {
    if (p.ts + this.windowMs <= this.now() || this.labelled.has(p.id)) return;
    this.predictions.set(p.id, p);
    const waiting = this.pending.get(p.id);
    if (!waiting) return;
    this.pending.delete(p.id);
    this.join(p, waiting.ref, fx);
  }

  /** A label by reference: joined, kept waiting for its prediction, or dead-lettered as a duplicate. */
  reference(ref: LabelReference, source: RefSource, fx: JoinEffects): void {
    const id = ref.prediction_id;
    if (this.labelled.has(id) || this.pending.has(id)) {
      fx.deadLetters.push({ ref, source, reason: 'duplicate_feedback', message: `prediction "${id}" already has a label: only the first one is learned` });
      return;
    }
    const p = this.predictions.get(id);
    if (p) return this.join(p, ref, fx);
    const value: StateRecord = { state: 'pending', ref, receivedAt: this.now(), source };
    this.pending.set(id, { ref, receivedAt: value.receivedAt, source });
    fx.state.push({ id, value });
  }

  /** Closes windows: labels that waited a whole window are dead-lettered `no_prediction`; old predictions and labelled ids are forgotten. */
  sweep(fx: JoinEffects): void {
    const horizon = this.now() - this.windowMs;
    for (const [id, w] of this.pending) {
      if (w.receivedAt > horizon) continue;
      this.pending.delete(id);
      fx.deadLetters.push({ ref: w.ref, source: w.source, reason: 'no_prediction', message: `no logged prediction "${id}" within feedback.windowMs (${this.windowMs} ms)` });
      fx.state.push({ id, value: null });
    }
    for (const [id, p] of this.predictions) if (p.ts <= horizon) this.predictions.delete(id);
    for (const [id, ts] of this.labelled) {
      if (ts > horizon) continue;
      this.labelled.delete(id);
      fx.state.push({ id, value: null });
    }
  }

  private join(p: PredictionRecord, ref: LabelReference, fx: JoinEffects): void {
    this.predictions.delete(p.id);
    this.labelled.set(p.id, p.ts);
    const event: LabelEvent = { id: p.id, model: p.model, input: p.input, label: ref.label, ...(ref.weight !== undefined ? { weight: ref.weight } : {}), ts: ref.ts ?? this.now() };
    fx.joined.push({ event, prediction: p, ref });
    fx.state.push({ id: p.id, value: { state: 'labelled', ts: p.ts } });
  }
}
