import * as fs from 'node:fs';
import * as readline from 'node:readline';
import { InvalidInputError } from '../core/index.js';
import { decodeEvent } from './decode-event.js';
import { type LabelEvent } from './label-event.js';

/** A line of a JSONL file that failed validation. */
export interface RejectedLine {
  line: number;
  reason: string;
  message: string;
}

/**
 * Reads label events from a JSONL file, one per line (blank lines skipped).
 * Bad lines are returned with their reason rather than thrown, so a caller can
 * report all of them at once.
 */
export async function readEventsJsonl(file: string): Promise<{ events: LabelEvent[]; rejected: RejectedLine[] }> {
  const events: LabelEvent[] = [];
  const rejected: RejectedLine[] = [];
  const rl = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  let n = 0;
  for await (const line of rl) {
    n++;
    if (!line.trim()) continue;
    try {
      events.push(decodeEvent(line));
    } catch (err) {
      if (!(err instanceof InvalidInputError)) throw err;
      rejected.push({ line: n, reason: err.reason, message: err.message });
    }
  }
  return { events, rejected };
}
