import { readEventsCsv } from './read-csv.js';
import { readEventsJsonl, type RejectedLine } from './read-jsonl.js';
import type { LabelEvent } from './label-event.js';

/** Reads a dataset file by its extension: `.csv` (header row) or JSONL (anything else). */
export function readEvents(file: string): Promise<{ events: LabelEvent[]; rejected: RejectedLine[] }> {
  return /\.csv$/i.test(file) ? readEventsCsv(file) : readEventsJsonl(file);
}
