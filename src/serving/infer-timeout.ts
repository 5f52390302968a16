import { InvalidInputError } from '../core/index.js';
import type { OipParameter } from './oip-tensors.js';

/**
 * Reads Triton's `timeout` request parameter: microseconds, 0 or absent for none
 * (gRPC sends it as `parameters.timeout.int64_param`, REST as `parameters.timeout`).
 * Anything but a non-negative integer is INVALID_ARGUMENT naming the field.
 *
 * @example
 * timeoutMicros({ int64Param: '5000' }, 'parameters.timeout'); // 5000
 */
export function timeoutMicros(value: OipParameter | unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const raw = typeof value === 'object' ? ((value as OipParameter).int64Param ?? (value as OipParameter).stringParam) : value;
  const us = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof us !== 'number' || !Number.isSafeInteger(us) || us < 0) {
    throw new InvalidInputError('bad_request', field, `${field}: ${JSON.stringify(raw ?? value)} is not a timeout in microseconds (a non-negative integer)`);
  }
  return us === 0 ? undefined : us;
}

/**
 * The earlier of the caller's deadline and `timeoutUs` from now, in ms since epoch.
 * The timeout is rounded down to whole milliseconds (the clock the batcher compares
 * with), so a timeout under 1 ms has passed before the request is queued: it is
 * refused with DEADLINE_EXCEEDED, never run.
 */
export function deadlineWithTimeout(deadlineMs: number, timeoutUs: number | undefined, now: number = Date.now()): number {
  return timeoutUs === undefined ? deadlineMs : Math.min(deadlineMs, now + Math.floor(timeoutUs / 1000));
}
