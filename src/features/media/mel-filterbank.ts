const hzToMel = (hz: number): number => 2595 * Math.log10(1 + hz / 700);
const melToHz = (mel: number): number => 700 * (10 ** (mel / 2595) - 1);

/**
 * Triangular mel filters (HTK mel scale) as a `[fftBins, melBins]` row-major
 * matrix, `fftBins = fftLength / 2 + 1`: a power spectrum row times it gives
 * mel-band energies.
 *
 * @example
 * melFilterbank(16, 512, 16000); // 257 × 16 values
 */
export function melFilterbank(melBins: number, fftLength: number, sampleRate: number, fMin = 20, fMax = sampleRate / 2): Float32Array {
  const bins = fftLength / 2 + 1;
  const lo = hzToMel(fMin);
  const hi = hzToMel(fMax);
  const edges = Array.from({ length: melBins + 2 }, (_, i) => melToHz(lo + ((hi - lo) * i) / (melBins + 1)));
  const out = new Float32Array(bins * melBins);
  for (let k = 0; k < bins; k++) {
    const f = (k * sampleRate) / fftLength;
    for (let m = 0; m < melBins; m++) {
      const [a, c, d] = [edges[m]!, edges[m + 1]!, edges[m + 2]!];
      const w = f <= a || f >= d ? 0 : f <= c ? (f - a) / (c - a) : (d - f) / (d - c);
      out[k * melBins + m] = w;
    }
  }
  return out;
}
