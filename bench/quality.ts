import { ConfigError, parseBackendPreference, selectBackend } from '../src/core/index.js';
/**
 * Quality of the learning regimes on real data, with a fixed event order and seed:
 * prequential accuracy (or MAE) of supervised online learning next to River's
 * online linear model on the identical stream, semi-/self-supervised regimes vs
 * supervised-only at 5% and 20% labels, transfer / fine-tune vs from scratch.
 * Prints ONE JSON object (see docs/regimes.md).
 *
 *   npm run -s bench:quality
 *   npm run -s bench:quality -- --data FILE.jsonl --task classification|regression
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { readEvents } from '../src/ingest/index.js';
import type { LabelEvent } from '../src/ingest/index.js';
import { fitStandardizer, hashText } from '../src/features/index.js';
import { DenseClassifier, DenseRegressor, trainBatch, type Task, buildRegimeLearner, type Regime } from '../src/learners/index.js';
import { VersionStore } from '../src/registry/index.js';
import { prequentialRun, type StreamRow } from '../src/evaluation/index.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CACHE = process.env.STREAMTUNE_CACHE ?? path.join(os.homedir(), '.cache', 'streamtune');
const TEXT_DIM = 1024;
const SHARES = [0.05, 0.2];

interface Dataset {
  name: string;
  task: Task;
  files: string[];
}

const DEFAULTS: Dataset[] = [
  { name: 'digits', task: 'classification', files: ['data/digits/base.jsonl', 'data/digits/stream.jsonl'] },
  { name: 'spam', task: 'classification', files: ['data/spam/spam.jsonl'] },
  { name: 'diabetes', task: 'regression', files: ['data/diabetes/diabetes.jsonl'] },
];

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** River in its own venv under the cache (created on first use; never at test time). */
function riverPython(): string {
  const venv = path.join(CACHE, 'river-venv');
  const py = path.join(venv, 'bin', 'python');
  if (spawnSync(py, ['-c', 'import river'], { encoding: 'utf8' }).status !== 0) {
    log(`installing River into ${venv}`);
    spawnSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
    const r = spawnSync(py, ['-m', 'pip', 'install', '-q', 'river==0.26.1'], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('could not install River from PyPI');
  }
  return py;
}

async function runDataset(d: Dataset, py: string): Promise<Record<string, unknown>> {
  const events: LabelEvent[] = [];
  for (const f of d.files) events.push(...(await readEvents(path.resolve(ROOT, f))).events.filter((e) => e.label !== null));
  // A prefix plays the base set: feature statistics, the pretraining pool, the transfer source. Only the rest is scored.
  const nPrefix = Math.min(300, Math.floor(events.length / 4));
  const text = 'text' in events[0]!.input;
  const raw = events.map((e) => ('text' in e.input ? hashText(e.input.text, TEXT_DIM) : 'features' in e.input ? e.input.features : mediaUnsupported()));
  const std = text ? null : fitStandardizer(raw.slice(0, nPrefix));
  const xs = raw.map((r) => (std ? r.map((v, j) => (v - std.mean[j]!) / std.std[j]!) : r));
  const rows: StreamRow[] = events.map((e, i) => ({ id: e.id, x: xs[i]!, y: d.task === 'regression' ? Number(e.label) : String(e.label) }));
  const prefix = rows.slice(0, nPrefix);
  const stream = rows.slice(nPrefix);
  const dim = xs[0]!.length;
  const featureSpec = { kind: 'features' as const, dim };
  const labels = d.task === 'classification' ? [...new Set(rows.map((r) => String(r.y)))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })) : [];
  const ys = prefix.map((r) => Number(r.y));
  const targetMean = d.task === 'regression' ? ys.reduce((a, b) => a + b, 0) / ys.length : 0;
  const targetStd = d.task === 'regression' ? Math.sqrt(ys.reduce((a, b) => a + (b - targetMean) ** 2, 0) / ys.length) : 1;

  // Transfer source: a model trained on the prefix — for multi-class data on a different task
  // (parity of the class index), for binary data and regression on the same task.
  const store = new VersionStore(await fs.mkdtemp(path.join(os.tmpdir(), 'st-bench-quality-')));
  const parity = labels.length > 2;
  const source =
    d.task === 'regression'
      ? new DenseRegressor({ featureSpec, hiddenUnits: [64], learningRate: 0.01, targetMean, targetStd })
      : new DenseClassifier({ featureSpec, labels: parity ? ['even', 'odd'] : labels, hiddenUnits: [64], learningRate: 0.01 });
  await trainBatch(source, prefix.map((r) => ({ x: r.x, y: parity ? (labels.indexOf(String(r.y)) % 2 ? 'odd' : 'even') : r.y })), { epochs: 20 });
  const meta = await store.save('source', source, { parent: null, regime: 'supervised-batch', backend: 'bench', examplesSeen: prefix.length, metrics: {}, offsets: {} });
  source.dispose();
  const encoderDir = store.versionDir('source', meta.version);

  const run = async (regime: Regime, share: number): Promise<number> => {
    const t0 = Date.now();
    const learner = await buildRegimeLearner({
      regime,
      task: d.task,
      featureSpec,
      labels,
      hiddenUnits: [64],
      learningRate: 0.01,
      unlabelled: prefix.map((r) => r.x),
      pretrainEpochs: 10,
      encoderDir,
      targetMean,
      targetStd,
      seed: 1,
    });
    const v = await prequentialRun(learner, stream, d.task, { labelShare: share });
    learner.dispose();
    log(`${d.name} ${regime}@${share}: ${v.toFixed(4)} (${Date.now() - t0} ms)`);
    return Number(v.toFixed(4));
  };

  const supervised = await run('supervised', 1);
  const riverIn = path.join(store.root, 'stream.jsonl');
  await fs.writeFile(riverIn, stream.map((r) => JSON.stringify({ x: r.x, y: r.y })).join('\n') + '\n');
  const r = spawnSync(py, [path.join(ROOT, 'bench', 'quality', 'river_baseline.py'), riverIn, d.task], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`River baseline failed: ${r.stderr}`);
  const river = Number((JSON.parse(r.stdout) as { value: number }).value.toFixed(4));
  log(`${d.name} river: ${river}`);

  const regimes: Record<string, number> = {};
  const list: Regime[] =
    d.task === 'regression'
      ? ['supervised', 'autoencoder', 'masked', 'transfer', 'fine-tune']
      : ['supervised', 'self-training', 'co-training', 'multi-view', 'autoencoder', 'masked', 'contrastive', 'transfer', 'fine-tune'];
  for (const share of SHARES) for (const regime of list) regimes[`${regime}@${share}`] = await run(regime, share);
  await fs.rm(store.root, { recursive: true, force: true });
  return { name: d.name, task: d.task, events: stream.length, metric: d.task === 'regression' ? 'prequential MAE' : 'prequential accuracy', supervised, river, regimes };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { data: { type: 'string' }, task: { type: 'string' } } });
  const { backend } = await selectBackend(parseBackendPreference(process.env.STREAMTUNE_BACKEND));
  log(`backend: ${backend}`);
  const task = (values.task ?? 'classification') as Task;
  const datasets = values.data ? [{ name: path.basename(values.data).replace(/\.\w+$/, ''), task, files: [path.resolve(values.data)] }] : DEFAULTS;
  const py = riverPython();
  const out = [];
  for (const d of datasets) out.push(await runDataset(d, py));
  process.stdout.write(`${JSON.stringify({ backend, datasets: out })}\n`);
}

await main();

/** Regime planning profiles vectors and texts; images and audio learn with the supervised ConvClassifier. */
function mediaUnsupported(): never {
  throw new ConfigError('data', 'image and audio events are not profiled here: they train supervised (ConvClassifier)');
}
