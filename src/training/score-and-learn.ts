import type { TrainingConfig } from '../core/index.js';
import { entityCounts, pckCounts, predictedTarget, PrequentialAccuracy, PrequentialBoxMap, PrequentialError, PrequentialPck, PrequentialSpanF1, targetScore } from '../evaluation/index.js';
import { modelTarget, type GoodRecord } from '../features/index.js';
import { boxesOfTarget, keypointsOfTarget, spansOfTarget, type StructuredLabel } from '../ingest/index.js';
import type { Learner, PredictedBox, StepResult } from '../learners/index.js';
import { DriftReaction } from './drift-reaction.js';
import type { PromotionGuardrail } from './promotion-guardrail.js';
import { ReplayBuffer } from './replay-buffer.js';

interface Example {
  x: number[];
  y: string | number;
  w: number;
}

/**
 * The learning half of a trainer step, predict-then-learn: each fresh labelled
 * event is scored by the weights before the step (prequential accuracy or MAE,
 * and beside the serving version in the guardrail), then the micro-batch is
 * learned with a few replayed past examples mixed in, and the error is watched
 * for drift. A span model is scored by entity F1 as well (its accuracy is the
 * share of texts whose spans are all right), a box model by mAP@0.5 and a
 * keypoint model by PCK (their accuracy: the share of images whose boxes all
 * match at IoU 0.5, none extra, or whose keypoints are all correct). Boxes and
 * keypoints are learned in the model's frame (`modelTarget`).
 *
 * @example
 * const s = new ScoreAndLearn(trainingConfig(), guardrail);
 * const { loss, drifts } = await s.run(learner, labelled);
 * s.accuracy.value; // prequential accuracy over the window
 */
export class ScoreAndLearn {
  readonly accuracy: PrequentialAccuracy;
  /** Prequential MAE (regression learners). */
  readonly mae: PrequentialError;
  /** Prequential entity F1 (span models). */
  readonly spanF1: PrequentialSpanF1;
  /** Prequential mAP@0.5 (box models). */
  readonly boxMap: PrequentialBoxMap;
  /** Prequential PCK (keypoint models). */
  readonly pck: PrequentialPck;
  private readonly replay: ReplayBuffer<Example>;
  private readonly drift: DriftReaction;
  private readonly mixRatio: number;
  private taskOf: { learner: Learner; regression: boolean; task: string } | null = null;

  constructor(
    training: TrainingConfig,
    private readonly guardrail: PromotionGuardrail,
  ) {
    this.accuracy = new PrequentialAccuracy(training.accuracyWindow);
    this.mae = new PrequentialError(training.accuracyWindow);
    this.spanF1 = new PrequentialSpanF1(training.accuracyWindow);
    this.boxMap = new PrequentialBoxMap(training.accuracyWindow);
    this.pck = new PrequentialPck(training.accuracyWindow);
    this.replay = new ReplayBuffer(training.replayCapacity);
    this.mixRatio = training.replayMixRatio;
    this.drift = new DriftReaction({ reaction: training.driftReaction, boostFactor: training.driftBoostFactor, boostSteps: training.driftBoostSteps });
  }

  /** Scores then learns the labelled events of one step; returns the step's loss and drifts detected. */
  async run(learner: Learner, labelled: readonly GoodRecord[]): Promise<{ loss: number; drifts: number }> {
    const fresh: Example[] = labelled.map((g) => ({ x: g.x, y: modelTarget(g.event.input, g.event.label as string | number | StructuredLabel, learner.featureSpec), w: g.event.weight ?? 1 }));
    const all = [...fresh, ...this.replay.sample(Math.round(fresh.length * this.mixRatio))];
    const weighted = all.some((e) => e.w !== 1);
    // Prequential: predictions must come from the weights before this step. Learners
    // that report their step's own forward pass save a second one.
    const before = learner.predictsWhileLearning ? undefined : learner.predict(fresh.map((e) => e.x));
    const result = await learner.learn(
      all.map((e) => e.x),
      all.map((e) => e.y),
      weighted ? all.map((e) => e.w) : undefined,
    );
    const drifts = this.isRegression(learner)
      ? this.scoreRegression(fresh, before?.map((p) => p.value ?? Number.NaN) ?? result.predictedValues)
      : this.scoreClassification(learner, fresh, before?.map(predictedTarget) ?? result.predicted);
    for (const e of fresh) this.replay.add(e);
    return { loss: result.loss, drifts };
  }

  private isRegression(learner: Learner): boolean {
    // Read once per learner (a restore replaces it), not on every step.
    if (this.taskOf?.learner !== learner) {
      const { task } = learner.describe();
      this.taskOf = { learner, regression: task === 'regression', task };
    }
    return this.taskOf.regression;
  }

  private scoreClassification(learner: Learner, fresh: readonly Example[], predicted: StepResult['predicted'] | (string | undefined)[]): number {
    this.guardrail.observe(
      fresh.map((e) => e.x),
      fresh.map((e) => e.y),
      predicted ?? [],
    );
    const task = this.taskOf?.task;
    const shapes = task === 'boxes' || task === 'keypoints' ? targetScore(task) : null;
    const hits = fresh.map((e, i) => {
      if (!shapes) return predicted?.[i] === String(e.y);
      const c = shapes.counts(e.y, predicted?.[i]);
      return c.fp === 0 && c.fn === 0;
    });
    for (const ok of hits) this.accuracy.update(ok);
    if (task === 'spans') fresh.forEach((e, i) => this.spanF1.update(entityCounts(spansOfTarget(e.y), spansOfTarget(predicted?.[i] ?? ''))));
    if (task === 'boxes') fresh.forEach((e, i) => this.boxMap.update({ gold: boxesOfTarget(e.y).boxes, predicted: boxesOfTarget(predicted?.[i] ?? '').boxes as PredictedBox[] }));
    if (task === 'keypoints') fresh.forEach((e, i) => this.pck.update(pckCounts(keypointsOfTarget(e.y).keypoints, keypointsOfTarget(predicted?.[i] ?? '').keypoints)));
    const drifts = this.drift.observe(learner, hits);
    this.drift.stepDone(learner);
    return drifts;
  }

  /** Regression: MAE instead of accuracy. Drift detection and the guardrail work on class hits, so they do not see it. */
  private scoreRegression(fresh: readonly Example[], predicted: readonly number[] | undefined): number {
    fresh.forEach((e, i) => {
      const p = predicted?.[i];
      if (p !== undefined && Number.isFinite(p)) this.mae.update(p, Number(e.y));
    });
    return 0;
  }

  /** The prequential figures a version records (only those measured: accuracy is -1 when none was). */
  versionMetrics(): Record<string, number> {
    return {
      prequentialAccuracy: Number.isNaN(this.accuracy.value) ? -1 : this.accuracy.value,
      ...(Number.isNaN(this.mae.value) ? {} : { prequentialMae: this.mae.value }),
      ...(Number.isNaN(this.spanF1.value) ? {} : { prequentialSpanF1: this.spanF1.value }),
      ...(Number.isNaN(this.boxMap.value) ? {} : { prequentialBoxMap: this.boxMap.value }),
      ...(Number.isNaN(this.pck.value) ? {} : { prequentialPck: this.pck.value }),
    };
  }
}
