import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { parseCsv } from '../../ingest/index.js';
import { ConfigError } from '../../core/index.js';
import { buildInput } from './build-input.js';
import type { FieldMapping } from './field-mapping.js';
import { checkEvent, toLabel, type ImportResult } from './import-result.js';

/**
 * Imports a CSV file with a header row, mapping columns to the event's parts
 * (`--id-col`, `--label-col`, `--text-col`, `--feature-cols`, `--image-col`,
 * `--audio-col`). Image and audio cells hold a file path (relative to the CSV)
 * or base64 data; quoted cells may span lines. Rows are rejected with the line
 * they start on and their reason.
 *
 * @example
 * await importFromCsv('reviews.csv', { text: 'review', label: 'stars' });
 */
export async function importFromCsv(file: string, map: FieldMapping): Promise<ImportResult> {
  const { header, rows } = parseCsv(await fs.readFile(file, 'utf8'), file, '--from-csv');
  const col = (name: string | undefined, flag: string, required = true): number => {
    if (name === undefined) return -1;
    const i = header.indexOf(name);
    if (i < 0 && required) throw new ConfigError(flag, `${file} has no "${name}" column (columns: ${header.join(', ')})`);
    return i;
  };
  const idi = col(map.id ?? 'id', '--id-col', map.id !== undefined);
  const li = col(map.label ?? 'label', '--label-col', map.label !== undefined);
  const cols = { text: col(map.text, '--text-col'), image: col(map.image, '--image-col'), audio: col(map.audio, '--audio-col') };
  const fi = (map.features ?? []).map((f) => col(f, '--feature-cols'));
  const out: ImportResult = { events: [], rejected: [] };
  for (const { line, cells } of rows) {
    const cell = (i: number): string | undefined => (i >= 0 ? cells[i] : undefined);
    const input = await buildInput(
      { text: cell(cols.text), image: cell(cols.image), audio: cell(cols.audio), features: fi.length > 0 ? fi.map((i) => Number(cells[i])) : undefined },
      path.dirname(file),
    );
    const raw = cell(li)?.trim();
    const numeric = raw !== undefined && raw !== '' && Number.isFinite(Number(raw));
    checkEvent({ id: cell(idi) ?? `row-${line - 1}`, input, label: numeric ? Number(raw) : toLabel(raw) }, `${file}:${line}`, out);
  }
  return out;
}
