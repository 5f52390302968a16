import * as tf from '@tensorflow/tfjs';
import { PreconditionError } from '../core/index.js';

/**
 * A layers model with its Adam optimizer, as the dense learners use it: one
 * serialized training step that also hands back a tensor from the same
 * forward pass (e.g. the pre-update predictions prequential evaluation needs),
 * a learning rate that can change while learning, save and dispose.
 *
 * @example
 * const net = new TrainableNet(model, 0.003, 'MyLearner');
 * const { loss, side } = await net.step(() => ({ loss: mse(ys, model.apply(xs)), side: model.apply(xs) }));
 */
export class TrainableNet {
  private readonly optimizer: tf.Optimizer;
  private stepping = false;

  constructor(
    readonly model: tf.LayersModel,
    learningRate: number,
    private readonly owner: string,
  ) {
    this.optimizer = tf.train.adam(learningRate);
  }

  get learningRate(): number {
    return (this.optimizer as unknown as { learningRate: number }).learningRate;
  }

  /** Changes the Adam step size for the next steps (the saved config keeps the base rate). */
  setLearningRate(lr: number): void {
    (this.optimizer as unknown as { learningRate: number }).learningRate = lr;
  }

  /**
   * One Adam step on the loss `forward` builds. Every tensor `forward` makes is
   * released afterwards except `side`, which is read back (with the loss) and
   * then released too. Steps never overlap: tfjs optimizers are not re-entrant,
   * so a step started while one runs fails with a {@link PreconditionError}.
   */
  async step(forward: () => { loss: tf.Scalar; side: tf.Tensor }): Promise<{ loss: number; side: ArrayLike<number> }> {
    if (this.stepping) throw new PreconditionError(`${this.owner}.learn called while a step is running; steps must be serialized`, { learner: this.owner });
    this.stepping = true;
    let side: tf.Tensor | undefined;
    try {
      const loss = tf.tidy(
        () =>
          this.optimizer.minimize(() => {
            const r = forward();
            side = tf.keep(r.side);
            return r.loss;
          }, true)!,
      );
      const [l, s] = await Promise.all([loss.data(), side!.data()]);
      loss.dispose();
      return { loss: l[0]!, side: s as ArrayLike<number> };
    } finally {
      side?.dispose();
      this.stepping = false;
    }
  }

  save(handler: tf.io.IOHandler): Promise<tf.io.SaveResult> {
    return this.model.save(handler);
  }

  dispose(): void {
    this.model.dispose();
    this.optimizer.dispose();
  }
}
