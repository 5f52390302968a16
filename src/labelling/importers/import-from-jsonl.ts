import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { buildInput } from './build-input.js';
import { getField, type FieldMapping } from './field-mapping.js';
import { checkEvent, toLabel, type ImportResult } from './import-result.js';

/**
 * Imports JSON lines of any shape, mapping (dotted) fields to the event's parts
 * (`--id-field`, `--label-field`, `--text-field`, `--features-field`, …). A
 * features mapping of one field takes that field's array; of several fields,
 * one number from each. Lines are rejected with their number and reason.
 *
 * @example
 * await importFromJsonl('tweets.jsonl', { id: 'tweet_id', text: 'body', label: 'meta.sentiment' });
 */
export async function importFromJsonl(file: string, map: FieldMapping): Promise<ImportResult> {
  const lines = (await fs.readFile(file, 'utf8')).split(/\r?\n/);
  const out: ImportResult = { events: [], rejected: [] };
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (!line) continue;
    const source = `${file}:${n + 1}`;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch (err) {
      out.rejected.push({ source, reason: 'bad_json', message: `line is not valid JSON: ${(err as Error).message}` });
      continue;
    }
    const f = map.features;
    const features = f === undefined || f.length === 0 ? undefined : f.length === 1 ? getField(rec, f[0]!) : f.map((k) => getField(rec, k));
    const input = await buildInput(
      {
        text: map.text === undefined ? undefined : getField(rec, map.text),
        image: map.image === undefined ? undefined : getField(rec, map.image),
        audio: map.audio === undefined ? undefined : getField(rec, map.audio),
        features,
      },
      path.dirname(file),
    );
    const id = getField(rec, map.id ?? 'id');
    checkEvent({ id: id === undefined ? `line-${n + 1}` : String(id), input, label: toLabel(getField(rec, map.label ?? 'label')) }, source, out);
  }
  return out;
}
