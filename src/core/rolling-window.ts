/**
 * The mean of the last `size` values, in O(1) per update (a ring buffer with a
 * running sum). Every prequential metric — accuracy (hits as 0/1), MAE, the
 * accuracy of pseudo-labels, the guardrail's live score — is one of these.
 *
 * @example
 * const w = new RollingWindow(3);
 * [1, 0, 1, 1].forEach((v) => w.push(v));
 * w.mean; // 2/3: the first value left the window
 */
export class RollingWindow {
  private readonly values: Float64Array;
  private start = 0;
  private count = 0;
  private sum = 0;

  /**
   * @param size values kept; must be at least 1.
   * @param initial values to start with, oldest first (a saved {@link toArray}).
   */
  constructor(
    readonly size: number,
    initial: readonly number[] = [],
  ) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`RollingWindow size must be a positive integer, got ${size}`);
    this.values = new Float64Array(size);
    for (const v of initial.slice(-size)) this.push(v);
  }

  /** The values in the window, oldest first. */
  toArray(): number[] {
    return Array.from({ length: this.count }, (_, i) => this.values[(this.start + i) % this.size]!);
  }

  /** The i-th value in the window, oldest first (NaN outside it). */
  at(i: number): number {
    return i >= 0 && i < this.count ? this.values[(this.start + i) % this.size]! : Number.NaN;
  }

  push(value: number): void {
    if (this.count === this.size) {
      this.sum -= this.values[this.start]!;
      this.values[this.start] = value;
      this.start = (this.start + 1) % this.size;
    } else {
      this.values[(this.start + this.count) % this.size] = value;
      this.count++;
    }
    this.sum += value;
    // A running sum of floats drifts; recompute it once per lap of the ring.
    if (this.start === 0 && this.count === this.size) this.sum = this.values.reduce((a, b) => a + b, 0);
  }

  /** Values in the window. */
  get length(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count === this.size;
  }

  /** Mean over the window (NaN when empty). */
  get mean(): number {
    return this.count ? this.sum / this.count : Number.NaN;
  }

  clear(): void {
    this.start = 0;
    this.count = 0;
    this.sum = 0;
  }
}
