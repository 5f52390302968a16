/**
 * Prequential (predict-then-learn) accuracy: each labelled example is scored by
 * the model before it learns from it. Keeps a sliding window and the total.
 */
export class PrequentialAccuracy {
  private readonly window: boolean[] = [];
  private hits = 0;
  total = 0;
  totalHits = 0;

  /** @param size window length in examples. @defaultValue 500 */
  constructor(readonly size = 500) {}

  update(correct: boolean): void {
    this.window.push(correct);
    if (correct) this.hits++;
    if (this.window.length > this.size && this.window.shift()) this.hits--;
    this.total++;
    if (correct) this.totalHits++;
  }

  /** Accuracy over the window (NaN before the first example). */
  get value(): number {
    return this.window.length ? this.hits / this.window.length : Number.NaN;
  }
}
