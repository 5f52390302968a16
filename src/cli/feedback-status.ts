import { UpstreamError } from '../core/index.js';
import { parseMetricsText, type Sample } from '../ops/index.js';

/** The joiner's live ground truth of one model, as `streamtune status` shows it. */
export interface FeedbackStatus {
  /** Share of the serving version's joined predictions that were right (null: none joined, or a regression model). */
  servedAccuracy: number | null;
  /** Mean absolute error of the serving version's joined predictions (regression). */
  servedMae: number | null;
  joined: number;
  unmatched: number;
  duplicates: number;
  /** Labels waiting for their prediction (all models). */
  pending: number;
  /** Mean time from prediction to label, in seconds (null before the first join). */
  meanLabelDelaySeconds: number | null;
}

/**
 * Reads the joiner's /metrics (`streamtune join`, feedback.metricsPort) for
 * `model` and its serving `version`. Counters count since the joiner started.
 *
 * @example
 * await collectFeedbackStatus('http://127.0.0.1:9466/metrics', 'digits', 'v12');
 */
export async function collectFeedbackStatus(url: string, model: string, version: string): Promise<FeedbackStatus> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) }).catch((err: unknown) => {
    throw new UpstreamError(`could not read the joiner's metrics at ${url} (${(err as Error).message}): is \`streamtune join\` running? (--feedback-metrics-url)`, { url }, { cause: err });
  });
  if (!res.ok) throw new UpstreamError(`${url} answered ${res.status} (--feedback-metrics-url)`, { url, status: res.status });
  const samples = parseMetricsText(await res.text());
  const one = (name: string, labels: Record<string, string> = {}): number | undefined =>
    samples.find((s: Sample) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
  const count = one('streamtune_feedback_label_delay_seconds_count', { model }) ?? 0;
  const sum = one('streamtune_feedback_label_delay_seconds_sum', { model }) ?? 0;
  return {
    servedAccuracy: one('streamtune_feedback_served_accuracy', { model, version }) ?? null,
    servedMae: one('streamtune_feedback_served_mae', { model, version }) ?? null,
    joined: one('streamtune_feedback_joined_total', { model }) ?? 0,
    unmatched: one('streamtune_feedback_unmatched_total', { model }) ?? 0,
    duplicates: one('streamtune_feedback_duplicates_total', { model }) ?? 0,
    pending: one('streamtune_feedback_pending_labels') ?? 0,
    meanLabelDelaySeconds: count > 0 ? sum / count : null,
  };
}

/** The rows `streamtune status` prints for the feedback loop. */
export function feedbackRows(f: FeedbackStatus): [string, string][] {
  const served = f.servedAccuracy !== null ? `${(f.servedAccuracy * 100).toFixed(1)}%` : f.servedMae !== null ? `MAE ${f.servedMae.toPrecision(4)}` : '—';
  return [
    ['served (labels)', `${served} on the serving version's labelled calls`],
    ['feedback', `${f.joined} joined, ${f.unmatched} unmatched, ${f.duplicates} duplicate, ${f.pending} waiting`],
    ['label delay', f.meanLabelDelaySeconds === null ? '—' : `${f.meanLabelDelaySeconds.toFixed(1)} s mean`],
  ];
}
