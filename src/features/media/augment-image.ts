import type { ImageShape } from './image-to-tensor-data.js';

/** A random source in [0, 1), e.g. `seededRandom(seed)`, so augmented runs repeat. */
export type Rand = () => number;

/**
 * Image augmentations on normalised HWC data (what `featurize` returns for an
 * image); each returns a new array and leaves its input alone.
 *
 * @example
 * const x2 = flipHorizontal(x, { width: 16, height: 16, channels: 1 });
 */
export function flipHorizontal(x: readonly number[], s: ImageShape): number[] {
  const out = new Array<number>(x.length);
  for (let y = 0; y < s.height; y++)
    for (let px = 0; px < s.width; px++)
      for (let c = 0; c < s.channels; c++) out[(y * s.width + px) * s.channels + c] = x[(y * s.width + (s.width - 1 - px)) * s.channels + c]!;
  return out;
}

/** Random crop of `(1 - maxShrink)` or more of each side, scaled back to full size (nearest neighbour). */
export function randomCrop(x: readonly number[], s: ImageShape, rand: Rand, maxShrink = 0.2): number[] {
  const cw = Math.max(1, Math.round(s.width * (1 - rand() * maxShrink)));
  const ch = Math.max(1, Math.round(s.height * (1 - rand() * maxShrink)));
  const ox = Math.floor(rand() * (s.width - cw + 1));
  const oy = Math.floor(rand() * (s.height - ch + 1));
  const out = new Array<number>(x.length);
  for (let y = 0; y < s.height; y++) {
    const sy = oy + Math.min(ch - 1, Math.floor((y * ch) / s.height));
    for (let px = 0; px < s.width; px++) {
      const sx = ox + Math.min(cw - 1, Math.floor((px * cw) / s.width));
      for (let c = 0; c < s.channels; c++) out[(y * s.width + px) * s.channels + c] = x[(sy * s.width + sx) * s.channels + c]!;
    }
  }
  return out;
}

/** Colour jitter: random brightness shift and contrast scale (per channel for RGB), clipped to [0, 1]. */
export function colourJitter(x: readonly number[], s: ImageShape, rand: Rand, strength = 0.2): number[] {
  const gain = Array.from({ length: s.channels }, () => 1 + (rand() * 2 - 1) * strength);
  const bias = Array.from({ length: s.channels }, () => (rand() * 2 - 1) * strength);
  return x.map((v, i) => Math.min(1, Math.max(0, (v - 0.5) * gain[i % s.channels]! + 0.5 + bias[i % s.channels]!)));
}

/** Adds uniform noise of amplitude `amount` (works for images and spectrograms alike). */
export function addNoise(x: readonly number[], rand: Rand, amount = 0.05): number[] {
  return x.map((v) => v + (rand() * 2 - 1) * amount);
}
