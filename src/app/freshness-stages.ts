/** The stages a label event passes from its timestamp to the first served version that learned it. */
export const FRESHNESS_STAGES = ['queued', 'checkpoint_wait', 'save', 'handoff', 'swap'] as const;
export type FreshnessStage = (typeof FRESHNESS_STAGES)[number];

/**
 * One sampled event of a version, with the times (ms since the epoch, one
 * machine's clock: the trainer is the server's child) it passed each stage;
 * those a trainer did not report (an older one) are absent.
 */
export interface FreshnessSample {
  /** The event's timestamp (when it was produced). */
  ts: number;
  /** When the trainer stepped it. */
  steppedAt?: number;
  /** When the checkpoint that holds it began and finished saving. */
  saveStartedAt?: number;
  savedAt?: number;
  /** When the server heard of that checkpoint. */
  receivedAt: number;
}

/** What a trainer's `version` message says of its events' times (see `VersionTimes`). */
export interface VersionStamps {
  eventTimestamps?: number[];
  /** ms from each event's timestamp to its step. */
  stepLagMs?: number[];
  saveStartedAt?: number;
  savedAt?: number;
}

/** The samples of one version message, heard at `receivedAt`. */
export function freshnessSamples(m: VersionStamps, receivedAt: number): FreshnessSample[] {
  const ts = m.eventTimestamps ?? [];
  const lags = m.stepLagMs?.length === ts.length ? m.stepLagMs : undefined;
  return ts.map((t, i) => ({ ts: t, steppedAt: lags ? t + lags[i]! : undefined, saveStartedAt: m.saveStartedAt, savedAt: m.savedAt, receivedAt }));
}

/**
 * Seconds each sample spent in each stage, for a version that began serving at
 * `servedAt`; a sample without the trainer's times counts in `swap` only from
 * when the server heard of it. Clock skew never makes a stage negative.
 *
 * @example
 * stageSeconds([{ ts: 0, steppedAt: 100, saveStartedAt: 250, savedAt: 280, receivedAt: 281 }], 290);
 * // { queued: [0.1], checkpoint_wait: [0.15], save: [0.03], handoff: [0.001], swap: [0.009] }
 */
export function stageSeconds(samples: readonly FreshnessSample[], servedAt: number): Record<FreshnessStage, number[]> {
  const out = Object.fromEntries(FRESHNESS_STAGES.map((s) => [s, [] as number[]])) as Record<FreshnessStage, number[]>;
  const put = (stage: FreshnessStage, from: number | undefined, to: number | undefined): void => {
    if (from !== undefined && to !== undefined) out[stage].push(Math.max(0, to - from) / 1000);
  };
  for (const s of samples) {
    if (s.steppedAt !== undefined && s.saveStartedAt !== undefined && s.savedAt !== undefined) {
      put('queued', s.ts, s.steppedAt);
      put('checkpoint_wait', s.steppedAt, s.saveStartedAt);
      put('save', s.saveStartedAt, s.savedAt);
      put('handoff', s.savedAt, s.receivedAt);
    }
    put('swap', s.receivedAt, servedAt);
  }
  return out;
}
