import { RollingWindow } from '../core/index.js';

/**
 * Prequential mean absolute error for regression: each labelled example is
 * scored by the model before it learns from it, over a sliding window and in total.
 *
 * @example
 * const mae = new PrequentialError(500);
 * mae.update(predicted, truth);
 * mae.value; // mean |predicted − truth| over the last 500
 */
export class PrequentialError {
  private readonly window: RollingWindow;
  total = 0;
  totalError = 0;

  /** @param size window length in examples. @defaultValue 500 */
  constructor(readonly size = 500) {
    this.window = new RollingWindow(size);
  }

  update(predicted: number, truth: number): void {
    const err = Math.abs(predicted - truth);
    this.window.push(err);
    this.total++;
    this.totalError += err;
  }

  /** MAE over the window (NaN before the first example). */
  get value(): number {
    return this.window.mean;
  }
}
