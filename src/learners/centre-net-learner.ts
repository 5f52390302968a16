import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../core/index.js';
import type { FeatureSpec } from '../features/index.js';
import type { Units } from '../ingest/index.js';
import { centreTargets, type Centre, type Grid } from './centre-heatmaps.js';
import { convInputShape } from './conv-classifier.js';
import { NetLearner } from './net-learner.js';

/** Parameters shared by the heatmap learners (keypoints, boxes); all JSON, all saved. */
export interface CentreNetConfig {
  /** An `image` spec: its width, height and channels are what the convolutions see. */
  featureSpec: FeatureSpec;
  /** Keypoint or box labels: one heatmap each. */
  labels: string[];
  /** Input pixels per heatmap cell: 1, 2, 4 or 8 (one 2×2 max-pool per halving). @defaultValue 4, less for small images ({@link defaultStride}) */
  stride?: 1 | 2 | 4 | 8;
  /** Filters of each 3×3 ReLU conv block; the first log2(stride) blocks end in a 2×2 max-pool. @defaultValue [16, 32, 32] */
  filters?: number[];
  /** Adam learning rate. @defaultValue 0.003 */
  learningRate?: number;
  /** Lowest heatmap score (0–1) a prediction keeps. @defaultValue 0.3 */
  threshold?: number;
  /** @defaultValue 1 */
  seed?: number;
}

/** Heatmap bias at start: every cell scores sigmoid(-2.19) ≈ 0.1, as CenterNet starts, so the many empty cells do not swamp the first steps. */
const HEAT_PRIOR = -2.19;

/** `[height, width, channels]` of the image, checked against the stride. */
function imageShape(spec: FeatureSpec, stride: number): [number, number, number] {
  if (spec.kind !== 'image') throw new ConfigError('featureSpec.kind', `a heatmap learner reads "image" input, got "${spec.kind}"`);
  const shape = convInputShape(spec);
  if (![1, 2, 4, 8].includes(stride)) throw new ConfigError('stride', `stride must be 1, 2, 4 or 8, got ${stride}`);
  if (shape[0] % stride || shape[1] % stride) throw new ConfigError('stride', `the image's ${shape[1]}×${shape[0]} pixels must divide by the stride ${stride}`);
  return shape;
}

/** conv blocks (pooling down to the stride), then a 1×1 heatmap head (one channel per label) beside a 1×1 regression head. */
function buildCentreNet(c: Required<CentreNetConfig>, regression: number): tf.LayersModel {
  const shape = imageShape(c.featureSpec, c.stride);
  const pools = Math.log2(c.stride);
  if (c.filters.length < pools) throw new ConfigError('filters', `stride ${c.stride} needs at least ${pools} conv blocks, got ${c.filters.length}`);
  const input = tf.input({ shape: [c.featureSpec.dim] });
  let h = tf.layers.reshape({ targetShape: shape }).apply(input) as tf.SymbolicTensor;
  c.filters.forEach((filters, i) => {
    h = tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.heNormal({ seed: c.seed + i }) }).apply(h) as tf.SymbolicTensor;
    if (i < pools) h = tf.layers.maxPooling2d({ poolSize: 2 }).apply(h) as tf.SymbolicTensor;
  });
  const heat = tf.layers
    .conv2d({ filters: c.labels.length, kernelSize: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: c.seed + 100 }), biasInitializer: tf.initializers.constant({ value: HEAT_PRIOR }) })
    .apply(h) as tf.SymbolicTensor;
  const reg = tf.layers.conv2d({ filters: regression, kernelSize: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: c.seed + 200 }) }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: tf.layers.concatenate({ axis: -1 }).apply([heat, reg]) as tf.SymbolicTensor });
}

/**
 * Base of the heatmap learners, CenterNet-style (Zhou et al. 2019, "Objects
 * as Points"): a small conv net maps the image to one heatmap per label at
 * `1 / stride` resolution, plus a sub-cell offset (and, for boxes, a width and
 * height) regressed at each object's centre cell. The heatmaps learn Gaussian
 * targets with CenterNet's penalty-reduced focal loss; offsets and sizes an L1
 * loss at the centre cells. Each `learn` is one Adam step on the micro-batch,
 * so it learns online from the stream; the maps of that step's forward pass
 * (before the update) are the prequential predictions.
 *
 * A subclass says which regression channels it has, turns targets into
 * centres, and decodes maps into its predictions. Conv2D gradients need the
 * native or CPU backend (WASM has none): `needsConv` says so for image specs.
 */
export abstract class CentreNetLearner<C extends Required<CentreNetConfig>> extends NetLearner<C> {
  protected readonly grid: Grid;
  protected readonly width: number;
  protected readonly height: number;

  protected constructor(config: C, regression: 2 | 4, model?: tf.LayersModel) {
    if (config.labels.length < 1 || new Set(config.labels).size !== config.labels.length) throw new ConfigError('labels', 'a heatmap learner needs at least one label, none repeated');
    const [height, width] = imageShape(config.featureSpec, config.stride);
    super(config, model ?? buildCentreNet(config, regression));
    this.width = width;
    this.height = height;
    this.grid = { gw: width / config.stride, gh: height / config.stride, stride: config.stride, channels: config.labels.length };
  }

  /** Values per row of the maps `predictMaps` and `learnCentres` return: heatmap scores, then the regression channels. */
  protected get mapChannels(): number {
    return this.model.outputs[0]!.shape[3]!;
  }

  /** Pixels of the model's image from a target's units (pixels of the model's image, or fractions of it). */
  protected toPixels(v: number, units: Units, axis: 'x' | 'y'): number {
    return units === 'relative' ? v * (axis === 'x' ? this.width : this.height) : v;
  }

  /** Heatmap scores (sigmoid) beside the raw regression channels, `[n, gh, gw, mapChannels]`. */
  private maps(out: tf.Tensor): tf.Tensor {
    const K = this.grid.channels;
    const [heat, reg] = tf.split(out, [K, out.shape[3]! - K], 3);
    return tf.concat([tf.sigmoid(heat!), reg!], 3);
  }

  /** The maps of a batch under the current weights. */
  protected predictMaps(x: readonly (readonly number[])[]): Float32Array {
    const maps = tf.tidy(() => this.maps(this.model.predict(this.input(x)) as tf.Tensor));
    const data = maps.dataSync() as Float32Array;
    maps.dispose();
    return data;
  }

  /**
   * One Adam step towards the centres of each row; returns the loss and the
   * maps of the step's forward pass (before the update).
   */
  protected async learnCentres(x: readonly (readonly number[])[], centres: readonly (readonly Centre[])[], sigma: (c: Centre) => number, weights?: readonly number[]): Promise<{ loss: number; maps: ArrayLike<number> }> {
    const { gw, gh, channels: K } = this.grid;
    const n = x.length;
    const t = centreTargets(centres, this.grid, sigma);
    const norm = Math.max(1, t.count);
    const { loss, side } = await this.net.step(() => {
      const out = this.model.apply(this.input(x), { training: true }) as tf.Tensor4D;
      const R = out.shape[3] - K;
      const [logits, reg] = tf.split(out, [K, R], 3) as [tf.Tensor4D, tf.Tensor4D];
      const w = weights ? tf.tensor4d(weights as number[], [n, 1, 1, 1]) : tf.scalar(1);
      const target = tf.tensor4d(t.heat, [n, gh, gw, K]);
      const p = tf.clipByValue(tf.sigmoid(logits), 1e-4, 1 - 1e-4);
      const pos = tf.cast(tf.equal(target, 1), 'float32');
      // Penalty-reduced focal loss: cells near a centre (target close to 1) are punished less for scoring high.
      const posLoss = tf.mul(tf.mul(tf.neg(tf.log(p)), tf.square(tf.sub(1, p))), pos);
      const negLoss = tf.mul(tf.mul(tf.mul(tf.neg(tf.log(tf.sub(1, p))), tf.square(p)), tf.pow(tf.sub(1, target), 4)), tf.sub(1, pos));
      let total = tf.div(tf.sum(tf.mul(tf.add(posLoss, negLoss), w)), norm);
      const mask = tf.mul(tf.tensor4d(t.mask, [n, gh, gw, 1]), w);
      const l1 = (pred: tf.Tensor, want: Float32Array, scale: number): tf.Tensor => tf.mul(tf.div(tf.sum(tf.mul(tf.abs(tf.sub(pred, tf.tensor4d(want, [n, gh, gw, 2]))), mask)), norm), scale);
      const [offset, size] = R === 4 ? tf.split(reg, [2, 2], 3) : [reg, null];
      total = tf.add(total, l1(offset!, t.offset, 1));
      if (size) total = tf.add(total, l1(size, t.size, 0.1));
      return { loss: total as tf.Scalar, side: this.maps(out) };
    });
    return { loss, maps: side };
  }
}

/**
 * The stride a new model takes: 4, or less when the image is small, so the
 * heatmaps keep at least 8 cells a side (a 16×16 image gets 2, 32×32 gets 4).
 */
export function defaultStride(spec: FeatureSpec): 1 | 2 | 4 {
  if (spec.kind !== 'image') return 4;
  return ([4, 2] as const).find((s) => spec.width % s === 0 && spec.height % s === 0 && Math.min(spec.width, spec.height) / s >= 8) ?? 1;
}

/** The defaults of {@link CentreNetConfig}, applied once in each subclass's constructor head. */
export function centreNetDefaults<T extends CentreNetConfig>(config: T): T & Required<CentreNetConfig> {
  return { stride: defaultStride(config.featureSpec), filters: [16, 32, 32], learningRate: 0.003, threshold: 0.3, seed: 1, ...config };
}
