/** Options of {@link PageHinkley}. */
export interface PageHinkleyOptions {
  /** Tolerated change of the mean before it counts. @defaultValue 0.005 */
  delta?: number;
  /** Alarm threshold on the cumulative deviation. @defaultValue 20 */
  threshold?: number;
  /** Observations before any alarm. @defaultValue 30 */
  minInstances?: number;
}

/**
 * Page-Hinkley test for an increase of the mean of a stream — here the
 * prequential error (1 for a wrong prediction, 0 for a right one). Signals
 * drift when the cumulative deviation above the running mean exceeds the
 * threshold, then starts over.
 *
 * @example
 * const ph = new PageHinkley();
 * if (ph.update(wrong ? 1 : 0)) reactToDrift();
 */
export class PageHinkley {
  private readonly delta: number;
  private readonly threshold: number;
  private readonly minInstances: number;
  private n = 0;
  private mean = 0;
  private cum = 0;
  private minCum = 0;

  constructor(opts: PageHinkleyOptions = {}) {
    this.delta = opts.delta ?? 0.005;
    this.threshold = opts.threshold ?? 20;
    this.minInstances = opts.minInstances ?? 30;
  }

  /** Adds one observation; true when drift is detected (the detector then resets). */
  update(x: number): boolean {
    this.n++;
    this.mean += (x - this.mean) / this.n;
    this.cum += x - this.mean - this.delta;
    this.minCum = Math.min(this.minCum, this.cum);
    if (this.n >= this.minInstances && this.cum - this.minCum > this.threshold) {
      this.reset();
      return true;
    }
    return false;
  }

  reset(): void {
    this.n = 0;
    this.mean = 0;
    this.cum = 0;
    this.minCum = 0;
  }
}
