/**
 * How raw inputs become the model's input vector. Saved with every model version,
 * so serving featurizes exactly as training did.
 */
export type FeatureSpec =
  | {
      kind: 'features';
      /** Length of the feature vector the model expects. */
      dim: number;
      /** Per-feature mean and standard deviation from the base training set (standardization). */
      mean?: number[];
      std?: number[];
    }
  | {
      kind: 'text';
      /** Number of hash buckets of the bag-of-words vector. */
      dim: number;
    };

/** Input kinds as reported by `GetModel`. */
export type InputKind = FeatureSpec['kind'];

/** Computes mean and std per column; a constant column gets std 1 so it passes through. */
export function fitStandardizer(rows: readonly (readonly number[])[]): { mean: number[]; std: number[] } {
  const dim = rows[0]?.length ?? 0;
  const mean = new Array<number>(dim).fill(0);
  const sq = new Array<number>(dim).fill(0);
  for (const r of rows) for (let j = 0; j < dim; j++) mean[j]! += r[j]! / rows.length;
  for (const r of rows) for (let j = 0; j < dim; j++) sq[j]! += (r[j]! - mean[j]!) ** 2 / rows.length;
  const std = sq.map((v) => (v > 1e-12 ? Math.sqrt(v) : 1));
  return { mean, std };
}
