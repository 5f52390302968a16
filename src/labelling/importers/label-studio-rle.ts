/**
 * Decodes Label Studio's brush RLE (the `rle` of a `brushlabels` result: the
 * format of thi.ng's rle-pack over the mask's RGBA bytes) into those bytes.
 * Header: element count (32 bits), word size − 1 (5 bits), four run-length
 * widths − 1 (4 bits each); then runs: a flag bit, a width index (2 bits), the
 * run length − 1, and one repeated word (flag 1) or that many literal words.
 *
 * @example
 * decodeLabelStudioRle(result.value.rle); // Uint8Array of width × height × 4
 */
export function decodeLabelStudioRle(rle: readonly number[]): Uint8Array {
  let bit = 0;
  const read = (n: number): number => {
    let v = 0;
    for (let k = 0; k < n; k++, bit++) {
      const byte = rle[bit >> 3];
      if (byte === undefined) throw new RangeError('Label Studio RLE ends early');
      v = v * 2 + ((byte >> (7 - (bit & 7))) & 1);
    }
    return v;
  };
  const num = read(32);
  const wordSize = read(5) + 1;
  const widths = [read(4) + 1, read(4) + 1, read(4) + 1, read(4) + 1];
  const out = new Uint8Array(num);
  for (let i = 0; i < num; ) {
    const repeat = read(1);
    const j = Math.min(num, i + 1 + read(widths[read(2)]!));
    if (repeat) {
      out.fill(read(wordSize), i, j);
      i = j;
    } else for (; i < j; i++) out[i] = read(wordSize);
  }
  return out;
}

/**
 * Run lengths of a mask in streamtune's form: row-major, alternating background
 * and foreground, starting with background.
 *
 * @example
 * maskRuns([0, 0, 1, 1, 1, 0]); // [2, 3, 1]
 */
export function maskRuns(on: ArrayLike<boolean | number>): number[] {
  const runs: number[] = [];
  let cur = false;
  let n = 0;
  for (let i = 0; i < on.length; i++) {
    const v = !!on[i];
    if (v !== cur) {
      runs.push(n);
      cur = v;
      n = 0;
    }
    n++;
  }
  runs.push(n);
  return runs;
}
