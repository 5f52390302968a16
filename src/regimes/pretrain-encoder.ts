import * as tf from '@tensorflow/tfjs';
import { denseStack, rowsTensor } from '../tensors/index.js';
import { seededRandom, shuffleInPlace } from '../core/index.js';

/** Self-supervised objectives an encoder can be pretrained with on unlabelled inputs. */
export type PretrainObjective = 'autoencoder' | 'masked' | 'contrastive';

export interface PretrainOptions {
  objective: PretrainObjective;
  /** @defaultValue 10 */
  epochs?: number;
  /** @defaultValue 32 */
  batchSize?: number;
  /** @defaultValue 0.003 */
  learningRate?: number;
  /** Share of features masked (masked modelling) or dropped (contrastive augmentation). @defaultValue 0.25 */
  maskShare?: number;
  /** Gaussian noise of the contrastive augmentations. @defaultValue 0.1 */
  noise?: number;
  /** NT-Xent temperature. @defaultValue 0.5 */
  temperature?: number;
  /** @defaultValue 1 */
  seed?: number;
}

/**
 * Trains `encoder` in place on unlabelled rows with a self-supervised objective,
 * through a temporary decoder (reconstruction, masked features) or projection
 * head (contrastive), which is discarded afterwards:
 * - `autoencoder`: reconstruct x from its representation (MSE);
 * - `masked`: zero a random share of the features and predict them back (MSE on the masked ones);
 * - `contrastive`: two augmentations of each row (noise + feature dropout) must
 *   find each other among the batch (NT-Xent / InfoNCE).
 * Masks and noise come from a seeded PRNG, so a run repeats exactly. Returns the last epoch's mean loss.
 *
 * @example
 * await pretrainEncoder(learner.encoder, unlabelledRows, { objective: 'autoencoder', epochs: 5 });
 */
export async function pretrainEncoder(encoder: tf.LayersModel, rows: readonly (readonly number[])[], o: PretrainOptions): Promise<number> {
  const { epochs = 10, batchSize = 32, learningRate = 0.003, maskShare = 0.25, noise = 0.1, temperature = 0.5, seed = 1 } = o;
  if (rows.length === 0) return Number.NaN;
  const dim = rows[0]!.length;
  const repDim = encoder.outputs[0]!.shape.at(-1) as number;
  const aux = o.objective === 'contrastive' ? denseStack(repDim, [repDim], { outputs: repDim, seed: seed + 500 }) : denseStack(repDim, [], { outputs: dim, seed: seed + 500 });
  const optimizer = tf.train.adam(learningRate);
  const rand = seededRandom(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const vars = [...encoder.trainableWeights, ...aux.trainableWeights].map((w) => (w as unknown as { val: tf.Variable }).val);
  const order = rows.map((_, i) => i);
  let last = Number.NaN;
  try {
    for (let e = 0; e < epochs; e++) {
      shuffleInPlace(order, rand);
      let sum = 0;
      let steps = 0;
      for (let s = 0; s < order.length; s += batchSize) {
        const batch = order.slice(s, s + batchSize).map((i) => rows[i]!);
        if (o.objective === 'contrastive' && batch.length < 2) continue;
        const mask = batch.map(() => Array.from({ length: dim }, () => (rand() < maskShare ? 1 : 0)));
        const augment = (): number[][] => batch.map((r) => r.map((v) => (rand() < maskShare ? 0 : v + noise * gauss())));
        const views = o.objective === 'contrastive' ? [augment(), augment()] : [];
        const loss = tf.tidy(() => {
          const x = rowsTensor(batch, dim);
          const lossFn = (): tf.Scalar => {
            if (o.objective === 'autoencoder') return tf.losses.meanSquaredError(x, aux.apply(encoder.apply(x, { training: true })) as tf.Tensor) as tf.Scalar;
            if (o.objective === 'masked') {
              const m = tf.tensor2d(mask, [batch.length, dim]);
              const recon = aux.apply(encoder.apply(x.mul(tf.scalar(1).sub(m)), { training: true })) as tf.Tensor;
              return recon.sub(x).square().mul(m).sum().div(m.sum().add(1e-6)) as tf.Scalar;
            }
            return ntXent(
              aux.apply(encoder.apply(tf.tensor2d(views[0]!, [batch.length, dim]), { training: true })) as tf.Tensor2D,
              aux.apply(encoder.apply(tf.tensor2d(views[1]!, [batch.length, dim]), { training: true })) as tf.Tensor2D,
              temperature,
            );
          };
          return optimizer.minimize(lossFn, true, vars)!;
        });
        sum += (await loss.data())[0]!;
        loss.dispose();
        steps++;
      }
      last = steps ? sum / steps : Number.NaN;
    }
  } finally {
    aux.dispose();
    optimizer.dispose();
  }
  return last;
}

/**
 * NT-Xent (normalized temperature-scaled cross entropy, SimCLR): row i of `a`
 * and row i of `b` are a positive pair; every other row in either is a negative.
 */
export function ntXent(a: tf.Tensor2D, b: tf.Tensor2D, temperature: number): tf.Scalar {
  return tf.tidy(() => {
    const n = a.shape[0];
    const z = tf.concat([a, b], 0);
    const zn = z.div(z.norm('euclidean', 1, true).add(1e-8));
    // Self-similarity is excluded by a large negative on the diagonal.
    const sim = zn.matMul(zn.transpose()).div(temperature).sub(tf.eye(2 * n).mul(1e9));
    const targets = tf.concat([tf.range(n, 2 * n, 1, 'int32'), tf.range(0, n, 1, 'int32')]);
    return tf.losses.softmaxCrossEntropy(tf.oneHot(targets, 2 * n), sim) as tf.Scalar;
  });
}
