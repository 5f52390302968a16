/**
 * The per-stream and per-kind tables of a `bench:quality` output, as Markdown:
 * `auto` against the best River pipeline, the best Vowpal Wabbit command line
 * and the best of both (`peer_best`), under the primary protocol.
 *
 *   npx tsx bench/quality-table.ts docs/quality-streams.json [--after AUTO_RERUN.json]
 *
 * With `--after`, a second run's `auto` (same streams, same protocol) is shown
 * beside the first as the column `auto (after)`, and the counts use it.
 */
import * as fs from 'node:fs/promises';
import { parseArgs } from 'node:util';

interface Score {
  score: number | null;
  eps: number | null;
}
interface Row {
  name: string;
  kind?: string;
  task: string;
  events: number;
  auto: number | null;
  auto_serving?: string;
  eps: { auto: number };
  river?: Record<string, Score>;
  vw?: Record<string, Score>;
  river_best?: { model: string; score: number } | null;
  peer_best?: { system: string; model: string; score: number } | null;
  timed_out: string[];
}

const fmt = (v: number | null | undefined, regression: boolean): string => (v === null || v === undefined ? '—' : regression ? v.toFixed(3) : v.toFixed(4));

function best(map: Record<string, Score> | undefined, regression: boolean): { model: string; score: number } | null {
  let out: { model: string; score: number } | null = null;
  for (const [model, s] of Object.entries(map ?? {})) {
    if (s.score === null) continue;
    if (!out || (regression ? s.score < out.score : s.score > out.score)) out = { model, score: s.score };
  }
  return out;
}

/** auto's standing against the peers: at or above (≥), behind within 0.5 point / 5% of MAE (≈), or behind (<). */
function verdict(auto: number | null, peer: number | undefined, regression: boolean): string {
  if (auto === null || peer === undefined) return '—';
  if (regression ? auto <= peer : auto >= peer) return '≥';
  return (regression ? auto <= peer * 1.05 : auto >= peer - 0.005) ? '≈' : '<';
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { after: { type: 'string' } } });
  const file = positionals[0];
  if (!file) throw new Error('usage: quality-table.ts OUTPUT.json [--after RERUN.json]');
  const rows = (JSON.parse(await fs.readFile(file, 'utf8')) as { datasets: Row[] }).datasets;
  const after = values.after ? new Map((JSON.parse(await fs.readFile(values.after, 'utf8')) as { datasets: Row[] }).datasets.map((r) => [r.name, r])) : null;
  const out: string[] = [];
  const head = ['stream', 'kind', 'events', 'metric', 'auto', ...(after ? ['auto (after)'] : []), 'serving', 'River best', 'VW best', 'peer_best', 'auto vs peer_best', 'auto ev/s*', 'peer_best ev/s*'];
  const text = new Set(['stream', 'kind', 'metric', 'serving', 'River best', 'VW best']);
  out.push(`| ${head.join(' | ')} |`, `| ${head.map((h) => (text.has(h) ? '---' : '---:')).join(' | ')} |`);
  const perKind = new Map<string, { n: number; at: number; near: number }>();
  let at = 0;
  let near = 0;
  for (const r of rows) {
    const reg = r.task === 'regression';
    const mine = after?.get(r.name) ?? r;
    const rb = best(r.river, reg);
    const vb = best(r.vw, reg);
    const pb = r.peer_best ?? null;
    const v = verdict(mine.auto, pb?.score, reg);
    const pbEps = pb ? (pb.system === 'river' ? r.river : r.vw)?.[pb.model]?.eps : null;
    const k = perKind.get(r.kind ?? '?') ?? { n: 0, at: 0, near: 0 };
    k.n++;
    if (v === '≥') {
      k.at++;
      at++;
    } else if (v === '≈') {
      k.near++;
      near++;
    }
    perKind.set(r.kind ?? '?', k);
    out.push(
      `| ${[
        r.name,
        r.kind ?? '',
        r.events,
        reg ? 'MAE' : 'accuracy',
        fmt(r.auto, reg),
        ...(after ? [fmt(mine.auto, reg)] : []),
        mine.auto_serving ?? '',
        rb ? `${fmt(rb.score, reg)} ${rb.model.replaceAll('|', '\\|')}` : '—',
        vb ? `${fmt(vb.score, reg)} \`${vb.model}\`` : '—',
        pb ? fmt(pb.score, reg) : '—',
        v,
        mine.eps.auto,
        pbEps ?? '—',
      ].join(' | ')} |`,
    );
  }
  out.push('', `auto at or above peer_best on ${at} of ${rows.length} streams; within 0.5 point (or 5% of MAE) on ${near} more.`, '');
  out.push('| kind | streams | auto ≥ peer_best | within 0.5 point / 5% MAE |', '| --- | ---: | ---: | ---: |');
  for (const [kind, k] of perKind) out.push(`| ${kind} | ${k.n} | ${k.at} | ${k.near} |`);
  process.stdout.write(`${out.join('\n')}\n`);
}

await main();
