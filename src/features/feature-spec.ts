import { ConfigError } from '../core/index.js';

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
      /** 1: words; 2: words and word pairs. @defaultValue 2, as models saved before this field existed were trained */
      ngrams?: 1 | 2;
      /**
       * Character n-grams of each word (padded with a space at both ends), lengths
       * from the first number to the second, e.g. `[3, 5]`, hashed into the same
       * buckets. @defaultValue none, as models saved before this field existed were trained
       */
      charNgrams?: [number, number];
    }
  | {
      /**
       * The text itself, one number per UTF-16 code unit, for learners that tokenize
       * it and answer with character offsets (the span tagger).
       */
      kind: 'chars';
      /** Longest text accepted, in UTF-16 code units (longer inputs are rejected as `too_large`). */
      dim: number;
    }
  | {
      kind: 'image';
      /** Decoded images are centre-cropped and resized to width × height. */
      width: number;
      height: number;
      /** 1: luminance, 3: RGB. */
      channels: 1 | 3;
      /** width × height × channels: the length of the flattened HWC vector. */
      dim: number;
    }
  | {
      kind: 'audio';
      /** Clips are downmixed and resampled to this rate before the spectrogram. */
      sampleRate: number;
      /** Spectrogram frames (time steps); shorter clips are padded with silence, longer ones cut. */
      frames: number;
      melBins: number;
      /** STFT window in samples. @defaultValue the power of two nearest 25 ms */
      frameLength?: number;
      /** STFT hop in samples. @defaultValue frameLength / 2 */
      frameStep?: number;
      /** frames × melBins. */
      dim: number;
    };

/** Longest character n-gram a text spec may ask for. */
export const MAX_CHAR_NGRAM = 10;

/**
 * Checks a text spec's hashing options (`ngrams`, `charNgrams`), throwing a
 * {@link ConfigError} naming the key; other specs pass. A saved version's spec
 * is checked when its learner is built, so a hand-edited one fails at start.
 *
 * @example
 * checkFeatureSpec({ kind: 'text', dim: 4096, charNgrams: [5, 3] }); // throws: featureSpec.charNgrams …
 */
export function checkFeatureSpec(spec: FeatureSpec, key = 'featureSpec'): void {
  if (spec.kind !== 'text') return;
  if (!(Number.isInteger(spec.dim) && spec.dim > 0)) throw new ConfigError(`${key}.dim`, `must be a positive integer, got ${JSON.stringify(spec.dim)}`);
  if (spec.ngrams !== undefined && spec.ngrams !== 1 && spec.ngrams !== 2) throw new ConfigError(`${key}.ngrams`, `must be 1 (words) or 2 (words and word pairs), got ${JSON.stringify(spec.ngrams)}`);
  const c = spec.charNgrams as unknown;
  if (c === undefined) return;
  const ok = Array.isArray(c) && c.length === 2 && c.every((n) => Number.isInteger(n) && n >= 1 && n <= MAX_CHAR_NGRAM) && (c[0] as number) <= (c[1] as number);
  if (!ok) throw new ConfigError(`${key}.charNgrams`, `must be [min, max] with 1 ≤ min ≤ max ≤ ${MAX_CHAR_NGRAM}, got ${JSON.stringify(c)}`);
}

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

/** An image spec with its `dim` filled in. */
export function imageSpec(width: number, height: number, channels: 1 | 3 = 1): FeatureSpec {
  return { kind: 'image', width, height, channels, dim: width * height * channels };
}

/** An audio spec with its `dim` filled in. */
export function audioSpec(sampleRate: number, frames: number, melBins: number): FeatureSpec {
  return { kind: 'audio', sampleRate, frames, melBins, dim: frames * melBins };
}
