import type * as tf from '@tensorflow/tfjs';
import type { FeatureSpec, InputKind } from '../features/index.js';
import type { Box, Keypoint, Span } from '../ingest/index.js';

/** What a model predicts: a class, a number, labelled spans of its text, or boxes or keypoints on its image. */
export type Task = 'classification' | 'regression' | 'spans' | 'boxes' | 'keypoints';
/** Every {@link Task}, in the order the CLI lists them. */
export const TASKS: readonly Task[] = ['classification', 'regression', 'spans', 'boxes', 'keypoints'];
/** A JSON-only value: what `getConfig()` returns and what is saved beside the weights. */
export type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/** A span a tagger found: its offsets and label, and the text it covers. */
export interface PredictedSpan extends Span {
  text: string;
}

/** A box a detector found, in relative units of the model's image (fractions of its width and height), with its score in [0, 1]. */
export interface PredictedBox extends Box {
  score: number;
}

/** A keypoint a detector found, in relative units of the model's image, with its heatmap score in [0, 1]. */
export interface PredictedKeypoint extends Keypoint {
  score: number;
}

/**
 * One answer of a classifier (label, confidence, score per class), a regressor
 * (value), a span tagger (spans), a box detector (boxes) or a keypoint detector (keypoints).
 */
export interface Prediction {
  label?: string;
  confidence?: number;
  scores?: Record<string, number>;
  value?: number;
  spans?: PredictedSpan[];
  boxes?: PredictedBox[];
  keypoints?: PredictedKeypoint[];
}

/** What a model says about itself (served by `GetModel`, saved with each version). */
export interface ModelDescription {
  className: string;
  task: Task;
  inputKind: InputKind;
  inputDim: number;
  labels: string[];
  parameters: number;
}

/**
 * A learner's {@link ModelDescription}: what its class and input spec say, with
 * its task, labels and parameter count.
 *
 * @example
 * describeLearner(nb, 'classification', ['ham', 'spam'], 12); // { className: 'MultinomialNaiveBayes', task: 'classification', inputKind: 'text', inputDim: 4, labels: ['ham', 'spam'], parameters: 12 }
 */
export function describeLearner(learner: Pick<Learner, 'className' | 'featureSpec'>, task: Task, labels: readonly string[], parameters: number): ModelDescription {
  return { className: learner.className, task, inputKind: learner.featureSpec.kind, inputDim: learner.featureSpec.dim, labels: [...labels], parameters };
}

/** Result of one learning step. */
export interface StepResult {
  loss: number;
  examples: number;
  /**
   * Labels the model predicted for the batch rows in the step's forward pass,
   * i.e. before this step's update — exactly what prequential evaluation needs,
   * without a second forward pass (a span tagger: its spans as a target,
   * `labelTarget`). Optional: learners may omit it.
   */
  predicted?: string[];
  /** Regression's counterpart of `predicted`: the values predicted before this step's update. */
  predictedValues?: number[];
}

/** How a batch is being learned. */
export interface LearnOptions {
  /**
   * The batch was learned before (a later epoch of batch training): gradient
   * learners take another step, single-pass learners ignore it.
   */
  repeat?: boolean;
  /** The labels are the learner's own guesses (self-training): learn them, but do not score anything on them. */
  pseudo?: boolean;
}

/** What a learner did with a batch of unlabelled events (semi-supervised regimes). */
export interface UnlabelledStepResult {
  /** Pseudo-labels it assigned and learned, by event id (for pseudo-label accuracy once true labels arrive). */
  pseudoLabelled: { id: string; label: string }[];
  loss: number | null;
}

/**
 * The protocol every learner implements, whatever the regime: predict a batch,
 * learn a batch, save through a tfjs IOHandler, describe itself, release tensors.
 * Inputs are already featurized (see `featurize`). Learning steps are serialized:
 * a learner never runs two `learn` calls at once.
 */
export interface Learner {
  readonly className: string;
  readonly featureSpec: FeatureSpec;
  /** True when `learn` reports `predicted` from its own forward pass (see {@link StepResult}). */
  readonly predictsWhileLearning?: boolean;
  predict(x: readonly (readonly number[])[]): Prediction[];
  /**
   * Learns one micro-batch; `y` holds class labels (classification), numbers
   * (regression) or structured labels as their canonical JSON (`labelTarget`).
   */
  learn(x: readonly (readonly number[])[], y: readonly (string | number)[], weights?: readonly number[], opts?: LearnOptions): Promise<StepResult>;
  /** Learners that learn each example exactly once (KNN's window, naive Bayes' counts) and skip repeated epochs. */
  readonly singlePass?: boolean;
  /** JSON-only configuration from which the registry rebuilds the learner. */
  getConfig(): { [k: string]: Json };
  save(handler: tf.io.IOHandler): Promise<void>;
  describe(): ModelDescription;
  /** Current learning rate, and a way to change it while learning (drift reactions). */
  readonly learningRate?: number;
  setLearningRate?(lr: number): void;
  /**
   * Semi-supervised regimes: learns from events whose label is null (pseudo-labels,
   * co-training). Learners without it ignore unlabelled events.
   */
  learnUnlabelled?(x: readonly (readonly number[])[], ids: readonly string[]): Promise<UnlabelledStepResult>;
  /** Online model selection (`auto`): each candidate's prequential score over its window, and which one serves. */
  candidateScores?(): { name: string; score: number | null; leader: boolean }[];
  /** Releases every tensor the learner holds. */
  dispose(): void;
}

/** How the registry creates a fresh learner or restores a saved one, by class name. */
export interface LearnerFactory {
  create(config: { [k: string]: Json }): Learner;
  load(config: { [k: string]: Json }, handler: tf.io.IOHandler): Promise<Learner>;
}
