import { InvalidInputError } from '../core/index.js';
import type { EventInput } from '../ingest/index.js';
import type { FeatureSpec } from './feature-spec.js';
import { featurizeMedia } from './featurize-media.js';
import { hashText } from './hash-text.js';

/**
 * Turns one input into the model's input vector, or throws {@link InvalidInputError}
 * naming the field (`wrong_kind`, `wrong_dimension`, `non_finite`, and for media
 * `bad_image`, `bad_audio`, `too_large`).
 *
 * @example
 * featurize({ features: [1, 2] }, { kind: 'features', dim: 2 }); // [1, 2]
 */
export function featurize(input: EventInput, spec: FeatureSpec, field = 'input'): number[] {
  if (spec.kind === 'features') {
    if (!('features' in input)) {
      throw new InvalidInputError('wrong_kind', field, `${field}: model expects "features", got "${Object.keys(input)[0] ?? 'nothing'}"`);
    }
    const x = input.features;
    if (x.length !== spec.dim) {
      throw new InvalidInputError('wrong_dimension', `${field}.features`, `${field}.features has ${x.length} values, model expects ${spec.dim}`);
    }
    const out = new Array<number>(spec.dim);
    for (let j = 0; j < spec.dim; j++) {
      const v = x[j]!;
      if (!Number.isFinite(v)) {
        throw new InvalidInputError('non_finite', `${field}.features[${j}]`, `${field}.features[${j}] is not a finite number`);
      }
      out[j] = spec.mean && spec.std ? (v - spec.mean[j]!) / spec.std[j]! : v;
    }
    return out;
  }
  if (spec.kind === 'image' || spec.kind === 'audio') return featurizeMedia(input, spec, field);
  if (!('text' in input)) {
    throw new InvalidInputError('wrong_kind', field, `${field}: model expects "text", got "${Object.keys(input)[0] ?? 'nothing'}"`);
  }
  if (spec.kind === 'chars') return charCodes(input.text, spec.dim, `${field}.text`);
  return hashText(input.text, spec.dim, spec.ngrams ?? 2, spec.charNgrams);
}

/** A text as its UTF-16 code units (a `chars` model's input), at most `max` of them. */
function charCodes(text: string, max: number, field: string): number[] {
  if (text.length > max) throw new InvalidInputError('too_large', field, `${field} has ${text.length} characters, over the model's limit of ${max}`);
  const out = new Array<number>(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}
