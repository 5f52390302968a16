/**
 * A number as float32 holds it, in the fewest decimal digits that read back as
 * the same float32: `0.1` rather than `0.10000000149011612` (its float64 digits).
 * What a REST answer carries for an FP32 tensor, so JSON says what the binary
 * form says, in as few digits as Triton's JSON (at most 9 significant digits).
 *
 * @example
 * float32Json(0.1); // 0.1
 * float32Json(1 / 3); // 0.33333334
 */
export function float32Json(x: number): number {
  const f = Math.fround(x);
  if (!Number.isFinite(f) || f === 0) return f;
  for (let digits = 1; digits < 9; digits++) {
    const shorter = Number(f.toPrecision(digits));
    if (Math.fround(shorter) === f) return shorter;
  }
  return Number(f.toPrecision(9));
}
