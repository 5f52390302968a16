import type { Learner } from '../learners/index.js';
import { PageHinkley, type PageHinkleyOptions } from '../evaluation/page-hinkley.js';

export interface DriftOptions extends PageHinkleyOptions {
  /** What to do on drift: raise the learning rate for a while, or only count it. @defaultValue 'boost-lr' */
  reaction?: 'boost-lr' | 'none';
  /** Learning-rate multiplier while boosted. @defaultValue 3 */
  boostFactor?: number;
  /** Steps the boost lasts. @defaultValue 50 */
  boostSteps?: number;
}

/**
 * Watches the prequential error with a Page-Hinkley test and reacts to drift:
 * with `boost-lr` the learner's rate is multiplied for `boostSteps` steps (the
 * old concept's evidence no longer applies, so the new one should be learned
 * faster), then restored.
 *
 * @example
 * const drifts = reaction.observe(learner, hits);  // before the step
 * reaction.stepDone(learner);                      // after it
 */
export class DriftReaction {
  private readonly detector: PageHinkley;
  private boostLeft = 0;
  private baseLr: number | undefined;

  constructor(private readonly opts: DriftOptions = {}) {
    this.detector = new PageHinkley(opts);
  }

  /** Feeds one step's prequential hits (true = right); returns how many drifts were signalled. */
  observe(learner: Learner, hits: readonly boolean[]): number {
    let drifts = 0;
    for (const ok of hits) if (this.detector.update(ok ? 0 : 1)) drifts++;
    if (drifts > 0) this.react(learner);
    return drifts;
  }

  private react(learner: Learner): void {
    if ((this.opts.reaction ?? 'boost-lr') !== 'boost-lr' || !learner.setLearningRate || learner.learningRate === undefined) return;
    if (this.boostLeft === 0) {
      this.baseLr = learner.learningRate;
      learner.setLearningRate(this.baseLr * (this.opts.boostFactor ?? 3));
    }
    this.boostLeft = this.opts.boostSteps ?? 50;
  }

  /** Counts a learning step down; the base rate comes back when the boost runs out. */
  stepDone(learner: Learner): void {
    if (this.boostLeft > 0 && --this.boostLeft === 0 && this.baseLr !== undefined) learner.setLearningRate?.(this.baseLr);
  }
}
