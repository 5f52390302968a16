import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { ConfigError } from '../../core/index.js';
import { buildInput } from './build-input.js';
import { checkEvent, type ImportResult } from './import-result.js';
import { LS_REGION_KINDS, RegionError, regionsToLabel, type LsRegion } from './label-studio-regions.js';

interface LsResult extends LsRegion {
  value?: LsRegion['value'] & { choices?: string[] };
}
interface LsTask {
  id?: number | string;
  data?: Record<string, unknown>;
  annotations?: { result?: LsResult[]; was_cancelled?: boolean; updated_at?: string }[];
}

/**
 * Imports a Label Studio JSON export: each task's `data` holds `text`, `image`
 * or `audio` (a path resolved against `mediaRoot`, e.g. the folder of uploads,
 * or base64), and its newest annotation that was not cancelled gives the label:
 * its regions (`labels` spans, `rectanglelabels`, `brushlabels`,
 * `keypointlabels`) as a structured label, else its first choice (a
 * classification project). Tasks without one become unlabelled events.
 *
 * @example
 * await importFromLabelStudio('export.json', { mediaRoot: 'label-studio/media' });
 */
export async function importFromLabelStudio(file: string, opts: { mediaRoot?: string } = {}): Promise<ImportResult> {
  let tasks: unknown;
  try {
    tasks = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (err) {
    throw new ConfigError('--from-label-studio', `${file} is not a JSON export: ${(err as Error).message}`);
  }
  if (!Array.isArray(tasks)) throw new ConfigError('--from-label-studio', `${file} is not a Label Studio JSON export (expected an array of tasks)`);
  const out: ImportResult = { events: [], rejected: [] };
  const root = opts.mediaRoot ?? path.dirname(file);
  for (const [i, task] of (tasks as LsTask[]).entries()) {
    const source = `${file} task ${task.id ?? i}`;
    const data = task.data ?? {};
    // Label Studio serves uploads under /data/upload/…: the path under the media root is what is left.
    const local = (v: unknown): unknown => (typeof v === 'string' ? v.replace(/^\/?data\/(upload|local-files)\//, '').replace(/^\?d=/, '') : v);
    const input = await buildInput({ text: data.text, image: local(data.image), audio: local(data.audio) }, root);
    const done = (task.annotations ?? []).filter((a) => !a.was_cancelled).sort((a, b) => String(b.updated_at ?? '').localeCompare(String(a.updated_at ?? '')));
    const regions = (done[0]?.result ?? []).filter((r) => (r.type ?? '') in LS_REGION_KINDS);
    if (regions.length > 0) {
      try {
        checkEvent({ id: `ls-${task.id ?? i}`, input, label: regionsToLabel(regions, data.text) }, source, out);
      } catch (err) {
        if (!(err instanceof RegionError)) throw err;
        out.rejected.push({ source, reason: err.reason, message: `${source}: ${err.message}` });
      }
      continue;
    }
    const choice = done.flatMap((a) => a.result ?? []).find((r) => r.type === 'choices' && (r.value?.choices?.length ?? 0) > 0);
    if (done.length > 0 && !choice) {
      out.rejected.push({ source, reason: 'no_choice', message: `${source}: annotated, but with no classification choice` });
      continue;
    }
    checkEvent({ id: `ls-${task.id ?? i}`, input, label: choice ? choice.value!.choices![0]! : null }, source, out);
  }
  return out;
}
