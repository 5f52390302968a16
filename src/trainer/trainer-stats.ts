import type { Metrics } from '../metrics/index.js';

/** What one training step did, as deltas (sent from the trainer process to the server). */
export interface TrainerStats {
  model: string;
  topic: string;
  consumed: number;
  rejected: Record<string, number>;
  learned: number;
  steps: number;
  loss: number | null;
  /** Prequential accuracy over the window, after this step (null before any labelled event). */
  accuracy: number | null;
}

/** Adds a step's stats to the metrics. */
export function applyStats(metrics: Metrics, s: TrainerStats): void {
  if (s.consumed) metrics.eventsConsumed.inc({ topic: s.topic }, s.consumed);
  for (const [reason, n] of Object.entries(s.rejected)) metrics.eventsRejected.inc({ reason }, n);
  if (s.learned) metrics.trainExamples.inc({ model: s.model }, s.learned);
  if (s.steps) metrics.trainSteps.inc({ model: s.model }, s.steps);
  if (s.loss !== null) metrics.trainLoss.set({ model: s.model }, s.loss);
  if (s.accuracy !== null) metrics.onlineAccuracy.set({ model: s.model }, s.accuracy);
}
