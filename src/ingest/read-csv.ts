import * as fs from 'node:fs/promises';
import { ConfigError } from '../core/index.js';
import { decodeEvent } from './decode-event.js';
import { type LabelEvent } from './label-event.js';
import type { RejectedLine } from './read-jsonl.js';

/** Splits one CSV line (RFC 4180 quoting: "a, b" and doubled quotes). */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/**
 * Reads label events from a CSV file with a header row: the `label` column (or
 * `labelColumn`; empty = unlabelled), an optional `id` column, and either a
 * `text` column (text input) or numeric feature columns (all the others).
 * Bad rows are returned with their reason, like {@link readEventsJsonl}.
 *
 * @example
 * // id,f1,f2,label
 * // a,0.5,1.2,yes
 * const { events } = await readEventsCsv('data.csv');
 */
export async function readEventsCsv(file: string, labelColumn = 'label'): Promise<{ events: LabelEvent[]; rejected: RejectedLine[] }> {
  const lines = (await fs.readFile(file, 'utf8')).split(/\r?\n/);
  const header = splitCsvLine(lines[0] ?? '').map((h) => h.trim());
  const li = header.indexOf(labelColumn);
  if (li < 0) throw new ConfigError('--data', `${file} has no "${labelColumn}" column (columns: ${header.join(', ')})`);
  const idi = header.indexOf('id');
  const ti = header.indexOf('text');
  const featureCols = header.map((_, i) => i).filter((i) => i !== li && i !== idi && i !== ti);
  const events: LabelEvent[] = [];
  const rejected: RejectedLine[] = [];
  for (let n = 1; n < lines.length; n++) {
    if (!lines[n]!.trim()) continue;
    const cells = splitCsvLine(lines[n]!);
    const raw = cells[li]?.trim() ?? '';
    const numeric = raw !== '' && Number.isFinite(Number(raw));
    const event = {
      id: idi >= 0 ? cells[idi]! : `row-${n}`,
      input: ti >= 0 ? { text: cells[ti] ?? '' } : { features: featureCols.map((i) => Number(cells[i])) },
      label: raw === '' ? null : numeric ? Number(raw) : raw,
    };
    try {
      events.push(decodeEvent(JSON.stringify(event)));
    } catch (err) {
      const e = err as { reason?: string; message: string };
      rejected.push({ line: n + 1, reason: e.reason ?? 'invalid', message: e.message });
    }
  }
  return { events, rejected };
}
