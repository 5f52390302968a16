import { InvalidInputError } from '../../core/index.js';
import { decodeEvent, type LabelEvent } from '../../ingest/index.js';
import { decodeBase64, decodeImage, decodeWav } from '../../features/index.js';

/** One input an importer refused, with where it came from and a reason code. */
export interface ImportRejection {
  /** File, `file:line` or task id. */
  source: string;
  reason: string;
  message: string;
}

export interface ImportResult {
  events: LabelEvent[];
  rejected: ImportRejection[];
}

/**
 * Validates a candidate event as the trainer will: the event schema, and for
 * media a full decode, so a corrupt file is reported at import with its source
 * instead of reaching the dead-letter topic later.
 */
export function checkEvent(candidate: unknown, source: string, out: ImportResult): void {
  try {
    const event = decodeEvent(JSON.stringify(candidate));
    const input = event.input;
    if ('image' in input) decodeImage(decodeBase64(input.image, 'input.image', 'bad_image'), 'input.image');
    if ('audio' in input) decodeWav(decodeBase64(input.audio, 'input.audio', 'bad_audio'), 'input.audio');
    out.events.push(event);
  } catch (err) {
    if (!(err instanceof InvalidInputError)) throw err;
    out.rejected.push({ source, reason: err.reason, message: err.message });
  }
}

/** A label cell or field as an event label: empty or missing means unlabelled. */
export function toLabel(v: unknown): string | number | null {
  if (v === undefined || v === null || v === '') return null;
  return typeof v === 'number' ? v : String(v);
}
