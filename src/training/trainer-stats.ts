import type { Metrics } from '../ops/index.js';

/** What one training step did, as deltas (sent from the trainer process to the server). */
export interface TrainerStats {
  model: string;
  topic: string;
  consumed: number;
  rejected: Record<string, number>;
  learned: number;
  /** Events whose id was seen within the dedupe window (producer retries): not learned again. */
  duplicates: number;
  /** Records already in the restored checkpoint (re-read after a restart or takeover): skipped. */
  skipped: number;
  steps: number;
  drifts: number;
  loss: number | null;
  /** Prequential accuracy over the window, after this step (null before any labelled event). */
  accuracy: number | null;
  /** Fading-factor prequential accuracy (null before any labelled event). */
  accuracyFaded: number | null;
  /** Wall time of this step's learning (predict, learn, drift check), seconds; absent when nothing was learned. */
  stepSeconds?: number;
  /** Prequential mean absolute error over the window (regression learners; null otherwise). */
  mae?: number | null;
  /** Prequential entity F1 over the window (span models; absent otherwise). */
  spanF1?: number;
  /** Prequential mAP@0.5 over the window (box models; absent otherwise). */
  boxMap?: number;
  /** Prequential PCK over the window (keypoint models; absent otherwise). */
  pck?: number;
  /** Unlabelled events in the step, and how many of them the learner pseudo-labelled and learned. */
  unlabelled?: number;
  pseudoLabelled?: number;
  /** Share of pseudo-labels confirmed by true labels that arrived later for the same ids. */
  pseudoLabelAccuracy?: number | null;
  /** Auto models: each candidate's prequential score over its window, and which one serves. */
  candidates?: { name: string; score: number | null; leader: boolean }[];
}

/** The stats of records dead-lettered before they reached a model (reported as `model`'s rejects). */
export function rejectedStats(model: string, topic: string, rejected: Record<string, number>): TrainerStats {
  const consumed = Object.values(rejected).reduce((a, b) => a + b, 0);
  return { model, topic, consumed, rejected, learned: 0, duplicates: 0, skipped: 0, steps: 0, drifts: 0, loss: null, accuracy: null, accuracyFaded: null };
}

/** Adds a step's stats to the metrics. */
export function applyStats(metrics: Metrics, s: TrainerStats): void {
  if (s.consumed) metrics.eventsConsumed.inc({ topic: s.topic }, s.consumed);
  for (const [reason, n] of Object.entries(s.rejected)) metrics.eventsRejected.inc({ reason }, n);
  if (s.learned) metrics.trainExamples.inc({ model: s.model }, s.learned);
  if (s.duplicates) metrics.eventsDuplicate.inc({ model: s.model }, s.duplicates);
  if (s.skipped) metrics.eventsSkipped.inc({ model: s.model }, s.skipped);
  if (s.steps) metrics.trainSteps.inc({ model: s.model }, s.steps);
  if (s.stepSeconds !== undefined) metrics.trainStepDuration.observe({ model: s.model }, s.stepSeconds);
  if (s.drifts) metrics.driftsDetected.inc({ model: s.model }, s.drifts);
  if (s.loss !== null) metrics.trainLoss.set({ model: s.model }, s.loss);
  if (s.accuracy !== null) metrics.onlineAccuracy.set({ model: s.model }, s.accuracy);
  if (s.accuracyFaded !== null) metrics.onlineAccuracyFaded.set({ model: s.model }, s.accuracyFaded);
  if (s.mae !== undefined && s.mae !== null) metrics.onlineMae.set({ model: s.model }, s.mae);
  if (s.spanF1 !== undefined) metrics.onlineSpanF1.set({ model: s.model }, s.spanF1);
  if (s.boxMap !== undefined) metrics.onlineBoxMap.set({ model: s.model }, s.boxMap);
  if (s.pck !== undefined) metrics.onlinePck.set({ model: s.model }, s.pck);
  if (s.pseudoLabelled) metrics.pseudoLabels.inc({ model: s.model }, s.pseudoLabelled);
  if (s.pseudoLabelAccuracy !== undefined && s.pseudoLabelAccuracy !== null) metrics.pseudoLabelAccuracy.set({ model: s.model }, s.pseudoLabelAccuracy);
  for (const c of s.candidates ?? []) {
    if (c.score !== null) metrics.candidateScore.set({ model: s.model, candidate: c.name }, c.score);
    metrics.candidateServing.set({ model: s.model, candidate: c.name }, c.leader ? 1 : 0);
  }
}
