import type { Rand } from './augment-image.js';

/**
 * Audio augmentations. `timeShift` works on raw samples; the masks (SpecAugment)
 * work on a featurized log-mel spectrogram, `frames × melBins` row-major. Each
 * returns a new array.
 *
 * @example
 * const shifted = timeShift(samples, rand, 0.1); // up to ±10% of the clip, zero-filled
 */
export function timeShift(x: Float32Array, rand: Rand, maxShare = 0.1): Float32Array {
  const shift = Math.round((rand() * 2 - 1) * maxShare * x.length);
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const j = i - shift;
    if (j >= 0 && j < x.length) out[i] = x[j]!;
  }
  return out;
}

/** Adds white noise at `snrDb` below the signal's RMS. */
export function addAudioNoise(x: Float32Array, rand: Rand, snrDb = 20): Float32Array {
  const rms = Math.sqrt(x.reduce((s, v) => s + v * v, 0) / Math.max(1, x.length));
  const amp = rms * 10 ** (-snrDb / 20) * Math.sqrt(3);
  return x.map((v) => v + (rand() * 2 - 1) * amp);
}

/** Sets up to `maxFrames` consecutive frames to the spectrogram's mean (SpecAugment time mask). */
export function timeMask(spec: readonly number[], frames: number, melBins: number, rand: Rand, maxFrames = 4): number[] {
  const out = [...spec];
  const mean = spec.reduce((a, b) => a + b, 0) / Math.max(1, spec.length);
  const w = Math.floor(rand() * (maxFrames + 1));
  const t0 = Math.floor(rand() * Math.max(1, frames - w + 1));
  for (let t = t0; t < Math.min(frames, t0 + w); t++) for (let m = 0; m < melBins; m++) out[t * melBins + m] = mean;
  return out;
}

/** Sets up to `maxBins` consecutive mel bands to the spectrogram's mean (SpecAugment frequency mask). */
export function frequencyMask(spec: readonly number[], frames: number, melBins: number, rand: Rand, maxBins = 3): number[] {
  const out = [...spec];
  const mean = spec.reduce((a, b) => a + b, 0) / Math.max(1, spec.length);
  const w = Math.floor(rand() * (maxBins + 1));
  const m0 = Math.floor(rand() * Math.max(1, melBins - w + 1));
  for (let t = 0; t < frames; t++) for (let m = m0; m < Math.min(melBins, m0 + w); m++) out[t * melBins + m] = mean;
  return out;
}
