import { InvalidInputError } from '../core/index.js';
import { labelEventSchema, MAX_EVENT_BYTES, type LabelEvent } from './label-event.js';

/**
 * Parses and validates one label event from its raw bytes.
 * Throws {@link InvalidInputError} whose `reason` is one of `too_large`, `bad_json`,
 * `non_finite` or `schema`, and whose message names the offending field.
 *
 * @example
 * decodeEvent(Buffer.from('{"id":"a","input":{"features":[1,2]},"label":"x"}'));
 */
export function decodeEvent(bytes: Buffer | string | null): LabelEvent {
  if (bytes === null || bytes.length === 0) {
    throw new InvalidInputError('empty', 'value', 'event value is empty');
  }
  if (bytes.length > MAX_EVENT_BYTES) {
    throw new InvalidInputError('too_large', 'value', `event is ${bytes.length} bytes, over the limit of ${MAX_EVENT_BYTES}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch (err) {
    throw new InvalidInputError('bad_json', 'value', `event is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = labelEventSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.length > 0 ? issue.path.join('.') : 'event';
    const received = (issue as { received?: unknown }).received;
    const reason = received === 'Infinity' || received === 'NaN' ? 'non_finite' : 'schema';
    throw new InvalidInputError(reason, field, `field "${field}": ${issue.message}`);
  }
  return parsed.data as LabelEvent;
}
