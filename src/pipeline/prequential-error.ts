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
  private readonly window: number[] = [];
  private sum = 0;
  total = 0;
  totalError = 0;

  /** @param size window length in examples. @defaultValue 500 */
  constructor(readonly size = 500) {}

  update(predicted: number, truth: number): void {
    const err = Math.abs(predicted - truth);
    this.window.push(err);
    this.sum += err;
    if (this.window.length > this.size) this.sum -= this.window.shift()!;
    this.total++;
    this.totalError += err;
  }

  /** MAE over the window (NaN before the first example). */
  get value(): number {
    return this.window.length ? this.sum / this.window.length : Number.NaN;
  }
}
