import * as fs from 'node:fs/promises';
import { CsvError, parse, type Info } from 'csv-parse/sync';
import { ConfigError } from '../core/index.js';
import { decodeEvent } from './decode-event.js';
import { type LabelEvent } from './label-event.js';
import type { RejectedLine } from './read-jsonl.js';

/** A CSV file read by csv-parse: the trimmed header and each non-blank row with the line it starts on. */
export interface CsvTable {
  header: string[];
  rows: { line: number; cells: string[] }[];
}

/**
 * Parses CSV text (RFC 4180: quoted cells may hold commas, doubled quotes and
 * newlines; `\n` or `\r\n` line ends; a UTF-8 BOM is dropped) with csv-parse.
 * Rows may have fewer or more cells than the header; blank rows are skipped.
 * A broken quote is a ConfigError for `key` naming the file and line.
 *
 * @example
 * parseCsv('id,text\na,"two\nlines"\n', 'd.csv').rows; // [{ line: 2, cells: ['a', 'two\nlines'] }]
 */
export function parseCsv(text: string, file: string, key = '--data'): CsvTable {
  let records: { record: string[]; info: Info }[];
  try {
    // With `info`, csv-parse returns { record, info } per row; its typings only know plain rows.
    records = parse(text, { info: true, bom: true, relax_column_count: true, skip_empty_lines: false, record_delimiter: ['\r\n', '\n'] }) as unknown as typeof records;
  } catch (err) {
    if (err instanceof CsvError) throw new ConfigError(key, `${file} is not valid CSV: ${err.message}`);
    throw err;
  }
  // Line numbers from the bytes each record ends at: csv-parse's own count
  // (info.lines) counts a quoted \r\n as two lines.
  const bytes = Buffer.from(text);
  const rows: CsvTable['rows'] = [];
  let line = 1;
  let at = 0;
  for (const { record, info } of records) {
    if (record.some((c) => c.trim())) rows.push({ line, cells: record });
    for (; at < info.bytes; at++) if (bytes[at] === 0x0a) line++;
  }
  const [head, ...body] = rows;
  return { header: head?.cells.map((h) => h.trim()) ?? [], rows: body };
}

/**
 * Reads label events from a CSV file with a header row: the `label` column (or
 * `labelColumn`; empty = unlabelled), an optional `id` column (else `row-N`, N
 * counting from the first data line), and either a `text` column (text input)
 * or numeric feature columns (all the others). Bad rows are returned with the
 * line they start on and their reason, like {@link readEventsJsonl}.
 *
 * @example
 * // id,f1,f2,label
 * // a,0.5,1.2,yes
 * const { events } = await readEventsCsv('data.csv');
 */
export async function readEventsCsv(file: string, labelColumn = 'label'): Promise<{ events: LabelEvent[]; rejected: RejectedLine[] }> {
  const { header, rows } = parseCsv(await fs.readFile(file, 'utf8'), file);
  const li = header.indexOf(labelColumn);
  if (li < 0) throw new ConfigError('--data', `${file} has no "${labelColumn}" column (columns: ${header.join(', ')})`);
  const idi = header.indexOf('id');
  const ti = header.indexOf('text');
  const featureCols = header.map((_, i) => i).filter((i) => i !== li && i !== idi && i !== ti);
  const events: LabelEvent[] = [];
  const rejected: RejectedLine[] = [];
  for (const { line, cells } of rows) {
    const raw = cells[li]?.trim() ?? '';
    const numeric = raw !== '' && Number.isFinite(Number(raw));
    const event = {
      id: idi >= 0 ? cells[idi]! : `row-${line - 1}`,
      input: ti >= 0 ? { text: cells[ti] ?? '' } : { features: featureCols.map((i) => Number(cells[i])) },
      label: raw === '' ? null : numeric ? Number(raw) : raw,
    };
    try {
      events.push(decodeEvent(JSON.stringify(event)));
    } catch (err) {
      const e = err as { reason?: string; message: string };
      rejected.push({ line, reason: e.reason ?? 'invalid', message: e.message });
    }
  }
  return { events, rejected };
}
