/** The saved state of an {@link OnlineStandardizer}: JSON, stored in each version's config. */
export interface StandardizerState {
  count: number;
  mean: number[];
  /** Sum of squared deviations per feature (Welford's M2). */
  m2: number[];
}

/**
 * Running per-feature mean and variance (Welford), for standardizing a stream
 * whose scale is not known up front and may drift: `(x − mean) / std`, where a
 * feature with no spread yet passes through centred. Learners keep it in their
 * config, so a saved version serves with exactly the statistics it learned with.
 *
 * @example
 * const s = new OnlineStandardizer(2);
 * s.update([[1, 10], [3, 30]]);
 * s.transform([2, 20]); // [0, 0]
 */
export class OnlineStandardizer {
  private count: number;
  private readonly mean: Float64Array;
  private readonly m2: Float64Array;

  constructor(
    readonly dim: number,
    state?: StandardizerState,
  ) {
    this.count = state?.count ?? 0;
    this.mean = Float64Array.from(state?.mean ?? new Array<number>(dim).fill(0));
    this.m2 = Float64Array.from(state?.m2 ?? new Array<number>(dim).fill(0));
  }

  /** Examples seen so far. */
  get seen(): number {
    return this.count;
  }

  update(rows: readonly (readonly number[])[]): void {
    for (const r of rows) {
      this.count++;
      for (let j = 0; j < this.dim; j++) {
        const v = r[j]!;
        const d = v - this.mean[j]!;
        this.mean[j]! += d / this.count;
        this.m2[j]! += d * (v - this.mean[j]!);
      }
    }
  }

  /** Standard deviation of feature `j` (1 until it has a spread, so it passes through). */
  std(j: number): number {
    const v = this.count > 1 ? this.m2[j]! / this.count : 0;
    return v > 1e-12 ? Math.sqrt(v) : 1;
  }

  transform(x: readonly number[]): number[] {
    const out = new Array<number>(this.dim);
    for (let j = 0; j < this.dim; j++) out[j] = (x[j]! - this.mean[j]!) / this.std(j);
    return out;
  }

  transformAll(rows: readonly (readonly number[])[]): number[][] {
    return rows.map((r) => this.transform(r));
  }

  state(): StandardizerState {
    return { count: this.count, mean: Array.from(this.mean), m2: Array.from(this.m2) };
  }
}
