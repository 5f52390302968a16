import { RollingWindow } from '../core/index.js';

/**
 * Prequential (predict-then-learn) accuracy: each labelled example is scored by
 * the model before it learns from it. Keeps a sliding window, a fading-factor
 * estimate (recent examples weigh more, Gama et al. 2013) and the total.
 */
export class PrequentialAccuracy {
  private readonly window: RollingWindow;
  private fadedHits = 0;
  private fadedCount = 0;
  total = 0;
  totalHits = 0;

  /**
   * @param size window length in examples. @defaultValue 500
   * @param alpha fading factor in (0, 1]. @defaultValue 0.995
   */
  constructor(
    readonly size = 500,
    readonly alpha = 0.995,
  ) {
    this.window = new RollingWindow(size);
  }

  update(correct: boolean): void {
    this.window.push(correct ? 1 : 0);
    this.fadedHits = (correct ? 1 : 0) + this.alpha * this.fadedHits;
    this.fadedCount = 1 + this.alpha * this.fadedCount;
    this.total++;
    if (correct) this.totalHits++;
  }

  /** Accuracy over the window (NaN before the first example). */
  get value(): number {
    return this.window.mean;
  }

  /** Fading-factor accuracy (NaN before the first example). */
  get faded(): number {
    return this.fadedCount ? this.fadedHits / this.fadedCount : Number.NaN;
  }
}
