import { InvalidInputError } from '../core/index.js';
import type { EventInput } from '../ingest/index.js';
import { decodeBase64, decodeImage, decodeWav, downmix, imageToTensorData, logMelSpectrogram, resample } from './media/index.js';
import type { FeatureSpec } from './feature-spec.js';

type MediaSpec = Extract<FeatureSpec, { kind: 'image' | 'audio' }>;

/**
 * Image input → normalised HWC pixels; audio input → standardised log-mel
 * spectrogram. Both flattened, so every learner and the batcher keep seeing
 * plain vectors; the convolutional learner reshapes them back.
 *
 * @example
 * featurizeMedia({ image: pngBase64 }, imageSpec(16, 16), 'input'); // 256 values in [0, 1]
 */
export function featurizeMedia(input: EventInput, spec: MediaSpec, field: string): number[] {
  if (!(spec.kind in input)) {
    throw new InvalidInputError('wrong_kind', field, `${field}: model expects "${spec.kind}", got "${Object.keys(input)[0] ?? 'nothing'}"`);
  }
  if (spec.kind === 'image') {
    const f = `${field}.image`;
    const bytes = decodeBase64((input as { image: string }).image, f, 'bad_image');
    return imageToTensorData(decodeImage(bytes, f), spec, f);
  }
  const f = `${field}.audio`;
  const wav = decodeWav(decodeBase64((input as { audio: string }).audio, f, 'bad_audio'), f);
  const mono = resample(downmix(wav.channels), wav.sampleRate, spec.sampleRate);
  if (mono.length === 0) throw new InvalidInputError('bad_audio', f, `${f} has no samples`);
  return logMelSpectrogram(mono, spec);
}
