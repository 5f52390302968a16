import type { EventInput } from '../ingest/index.js';
import type { LabelRequest } from './label-request.js';

/**
 * How the labelling page shows a request's input: text as text, an image as
 * the image, audio as a player with its spectrogram, a feature vector with a
 * declared shape (e.g. 8×8 digits) as an image, and any other vector as a table.
 */
export type InputView =
  | { kind: 'text' }
  | { kind: 'image'; mediaType: 'image/png' | 'image/jpeg' }
  | { kind: 'audio'; mediaType: 'audio/wav'; spectrogram: string }
  | { kind: 'feature-image'; shape: [number, number]; src: string }
  | { kind: 'feature-table' };

/** PNG files start with \x89PNG; anything else the schema let through is JPEG. */
const isPng = (b64: string): boolean => b64.startsWith('iVBORw0KGgo');

/**
 * The view of one request. `featureShape` is the `[rows, cols]` its feature
 * vectors are declared to have; a vector of another length is shown as a table.
 *
 * @example
 * inputView({ id: 'lr-1', input: { features: digit }, … }, [8, 8]); // { kind: 'feature-image', shape: [8, 8], src: '/api/items/lr-1/features.png' }
 */
export function inputView(req: LabelRequest, featureShape?: readonly [number, number]): InputView {
  const base = `/api/items/${encodeURIComponent(req.id)}`;
  const input = req.input as EventInput;
  if ('text' in input) return { kind: 'text' };
  if ('image' in input) return { kind: 'image', mediaType: isPng(input.image) ? 'image/png' : 'image/jpeg' };
  if ('audio' in input) return { kind: 'audio', mediaType: 'audio/wav', spectrogram: `${base}/spectrogram.png` };
  if (featureShape && featureShape[0] * featureShape[1] === input.features.length) {
    return { kind: 'feature-image', shape: [featureShape[0], featureShape[1]], src: `${base}/features.png` };
  }
  return { kind: 'feature-table' };
}
