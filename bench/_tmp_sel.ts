import * as path from 'node:path';
import { prequentialScores, type StreamRow } from '../src/evaluation/index.js';
import { fitStandardizer } from '../src/features/index.js';
import { readEvents } from '../src/ingest/index.js';
import { AutoLearner, defaultCandidates, trainBatch, type CandidateSpec, type Json } from '../src/learners/index.js';
import { parseBackendPreference, selectBackend } from '../src/core/index.js';
await selectBackend(parseBackendPreference(process.env.STREAMTUNE_BACKEND));
const max = Number(process.env.MAX ?? 1000);
for (const name of process.argv.slice(2)) {
  const files = name === 'digits' ? ['data/digits/base.jsonl', 'data/digits/stream.jsonl'] : [`data/${name}/${name}.jsonl`];
  const ev = [];
  for (const f of files) ev.push(...(await readEvents(path.resolve(f))).events);
  const events = ev.slice(0, max);
  const task = name === 'diabetes' || name === 'friedman-drift' ? 'regression' : 'classification';
  const raw = events.map((e) => (e.input as { features: number[] }).features);
  const nPrefix = Math.min(300, Math.floor(events.length / 4));
  const std = fitStandardizer(raw.slice(0, nPrefix));
  const rows: StreamRow[] = events.map((e, i) => ({ id: e.id, x: raw[i]!.map((v, j) => (v - std.mean[j]!) / std.std[j]!), y: task === 'regression' ? Number(e.label) : String(e.label) }));
  const labels = task === 'classification' ? [...new Set(rows.map((r) => String(r.y)))].sort() : [];
  const dim = raw[0]!.length;
  const spec = { kind: 'features', dim } as unknown as Json;
  const forest: CandidateSpec = { name: 'forest', className: 'OnlineForestClassifier', config: { featureSpec: spec, labels } };
  const quad: CandidateSpec = task === 'regression'
    ? { name: 'linear-quadratic', className: 'InteractionLearner', config: { featureSpec: spec, base: { className: 'DenseRegressor', config: { hiddenUnits: [], learningRate: 0.03, loss: 'mse' } } } }
    : { name: 'linear-quadratic', className: 'InteractionLearner', config: { featureSpec: spec, base: { className: 'DenseClassifier', config: { labels, hiddenUnits: [], learningRate: 0.03 } } } };
  const base = defaultCandidates({ kind: 'features', dim }, task, labels);
  const configs: Record<string, number> = { 'clear-lead 30': 30, 'full windows only': 300 };
  const out: string[] = [];
  for (const [k, after] of Object.entries(configs)) {
    const auto = new AutoLearner({ featureSpec: { kind: 'features', dim }, task, labels, clearLeadAfter: after });
    await trainBatch(auto, rows.slice(0, nPrefix), { epochs: 10, batchSize: 16 });
    const s = await prequentialScores(auto, rows.slice(nPrefix), task, { batchSize: 1 });
    const st = auto.candidateScores();
    out.push(`${k} ${(s.reduce((a, b) => a + b, 0) / s.length).toFixed(4)} [${st.find((c) => c.leader)?.name}; ${st.map((c) => `${c.name} ${c.score?.toFixed(3)}`).join(', ')}]`);
    auto.dispose();
  }
  console.log(`${name} (${rows.length - nPrefix} scored)\n  ${out.join('\n  ')}`);
}
