/**
 * Learning quality next to the strongest peers, on public streams, with a fixed
 * event order and seed. Per stream: the first min(300, n/4) events are the base
 * set (learned by everyone, never scored); every later event is predicted, then
 * learned (prequential), by
 *   - streamtune's default regime for a new model (`auto`: online model selection),
 *   - streamtune's plain `supervised` learner,
 *   - River's standard pipelines and Vowpal Wabbit (bench/quality/peers.py, same raw events),
 *   - every learning regime at 5% and 20% labels (semi-/self-supervised vs supervised-only).
 * Prints ONE JSON object (see docs/regimes.md).
 *
 *   npm run -s bench:quality
 *   npm run -s bench:quality -- --data FILE.jsonl --task classification|regression
 *   npm run -s bench:quality -- --only wine,bananas --no-regimes
 *   npm run -s bench:quality -- --label-delay 500    # labels released 500 events late (River's delay=)
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, parseBackendPreference, selectBackend, seededRandom } from '../src/core/index.js';
import { prequentialRun, type StreamRow } from '../src/evaluation/index.js';
import { fitStandardizer, hashText } from '../src/features/index.js';
import { readEvents, type LabelEvent } from '../src/ingest/index.js';
import { AutoLearner, DenseClassifier, DenseRegressor, trainBatch, type Learner, type Task } from '../src/learners/index.js';
import { buildRegimeLearner, type Regime } from '../src/regimes/index.js';
import { VersionStore } from '../src/registry/index.js';

const ROOT = path.resolve(import.meta.dirname, '..');
/** Hash buckets for text, as `streamtune train` uses by default. */
const TEXT_DIM = 4096;
const SHARES = [0.05, 0.2];
/** Epochs over the base set, as `streamtune train` does for a base model (single-pass learners take one). */
const BASE_EPOCHS = 10;

interface Dataset {
  name: string;
  task: Task;
  files: string[];
}

const data = (name: string, task: Task = 'classification'): Dataset => ({ name, task, files: [`data/${name}/${name}.jsonl`] });
const DEFAULTS: Dataset[] = [
  { name: 'digits', task: 'classification', files: ['data/digits/base.jsonl', 'data/digits/stream.jsonl'] },
  data('spam'),
  data('breast-cancer'),
  data('wine'),
  data('image-segments'),
  data('bananas'),
  data('sea-drift'),
  data('agrawal-drift'),
  data('hyperplane'),
  data('rbf-drift'),
  data('diabetes', 'regression'),
  data('friedman-drift', 'regression'),
];

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** The peers' Python (River, Vowpal Wabbit) in a venv under the cache, made on first use by scripts/river-venv.sh. */
function peersPython(): string {
  const r = spawnSync('bash', [path.join(ROOT, 'scripts', 'river-venv.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new ConfigError('peers', 'could not set up the River/Vowpal Wabbit venv (scripts/river-venv.sh)');
  return r.stdout.trim();
}

interface PeerResult {
  river: Record<string, { score: number | null; eps: number }>;
  river_best: { model: string; score: number };
  vw: Record<string, { score: number | null; eps: number }>;
  peer_best: { system: string; model: string; score: number };
}

function runPeers(py: string, d: Dataset, prefix: number): PeerResult {
  const args = [path.join(ROOT, 'bench', 'quality', 'peers.py'), ...d.files.map((f) => path.resolve(ROOT, f)), '--task', d.task, '--prefix', String(prefix)];
  const r = spawnSync(py, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`peers failed on ${d.name}: ${r.stderr}`);
  return JSON.parse(r.stdout) as PeerResult;
}

const round = (v: number): number => Number(v.toFixed(4));

async function runDataset(d: Dataset, o: { py: string | null; regimes: boolean; labelDelay: number }): Promise<Record<string, unknown>> {
  const events: LabelEvent[] = [];
  for (const f of d.files) events.push(...(await readEvents(path.resolve(ROOT, f))).events.filter((e) => e.label !== null));
  const nPrefix = Math.min(300, Math.floor(events.length / 4));
  const text = 'text' in events[0]!.input;
  const raw = events.map((e) => ('text' in e.input ? hashText(e.input.text, TEXT_DIM) : 'features' in e.input ? e.input.features : mediaUnsupported()));
  // As `streamtune train` does: tabular features standardized with the base set's statistics.
  const std = text ? null : fitStandardizer(raw.slice(0, nPrefix));
  const xs = raw.map((r) => (std ? r.map((v, j) => (v - std.mean[j]!) / std.std[j]!) : r));
  const rows: StreamRow[] = events.map((e, i) => ({ id: e.id, x: xs[i]!, y: d.task === 'regression' ? Number(e.label) : String(e.label) }));
  const prefix = rows.slice(0, nPrefix);
  const stream = rows.slice(nPrefix);
  const dim = xs[0]!.length;
  const featureSpec = text ? ({ kind: 'text', dim } as const) : ({ kind: 'features', dim } as const);
  const labels = d.task === 'classification' ? [...new Set(rows.map((r) => String(r.y)))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })) : [];
  const ys = prefix.map((r) => Number(r.y));
  const targetMean = d.task === 'regression' ? ys.reduce((a, b) => a + b, 0) / ys.length : 0;
  const targetStd = d.task === 'regression' ? Math.sqrt(ys.reduce((a, b) => a + (b - targetMean) ** 2, 0) / ys.length) || 1 : 1;

  /** Base set at a label share (a fixed seeded subset), learned in batch; then the stream, prequentially. */
  const score = async (learner: Learner, share: number): Promise<{ score: number; eps: number }> => {
    const rand = seededRandom(29);
    const base = prefix.filter(() => rand() < share);
    if (base.length > 0) await trainBatch(learner, base, { epochs: BASE_EPOCHS, batchSize: 16 });
    const t0 = performance.now();
    const v = await prequentialRun(learner, stream, d.task, { labelShare: share, labelDelay: o.labelDelay });
    return { score: round(v), eps: Math.round(stream.length / ((performance.now() - t0) / 1000)) };
  };

  const auto = new AutoLearner({ featureSpec, task: d.task, labels });
  const autoRun = await score(auto, 1);
  const standings = auto.candidateScores();
  auto.dispose();
  log(`${d.name} auto: ${autoRun.score} (${autoRun.eps} ev/s; serving ${standings.find((c) => c.leader)?.name}; ${standings.map((c) => `${c.name} ${c.score?.toFixed(3)}`).join(', ')})`);

  const regimeLearner = (regime: Regime, encoderDir?: string): Promise<Learner> =>
    buildRegimeLearner({ regime, task: d.task, featureSpec, labels, hiddenUnits: [64], learningRate: 0.01, unlabelled: prefix.map((r) => r.x), pretrainEpochs: 10, encoderDir, targetMean, targetStd, seed: 1 });
  const sup = await regimeLearner('supervised');
  const supervised = await score(sup, 1);
  sup.dispose();
  log(`${d.name} supervised: ${supervised.score} (${supervised.eps} ev/s)`);

  const peers = o.py ? runPeers(o.py, d, nPrefix) : null;
  if (peers) log(`${d.name} river_best: ${peers.river_best.model} ${peers.river_best.score}; peer_best: ${peers.peer_best.system} ${peers.peer_best.model} ${peers.peer_best.score}`);

  const regimes: Record<string, number> = {};
  if (o.regimes) {
    // Transfer source: a model trained on the base set — for multi-class data on a different
    // task (parity of the class index), for binary data and regression on the same task.
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
    const list: Regime[] =
      d.task === 'regression'
        ? ['supervised', 'autoencoder', 'masked', 'transfer', 'fine-tune']
        : ['supervised', 'self-training', 'co-training', 'multi-view', 'autoencoder', 'masked', 'contrastive', 'transfer', 'fine-tune'];
    for (const share of SHARES) {
      for (const regime of list) {
        const learner = await regimeLearner(regime, encoderDir);
        regimes[`${regime}@${share}`] = (await score(learner, share)).score;
        learner.dispose();
        log(`${d.name} ${regime}@${share}: ${regimes[`${regime}@${share}`]}`);
      }
    }
    await fs.rm(store.root, { recursive: true, force: true });
  }
  return {
    name: d.name,
    task: d.task,
    events: stream.length,
    metric: d.task === 'regression' ? 'prequential MAE' : 'prequential accuracy',
    auto: autoRun.score,
    supervised: supervised.score,
    eps: { auto: autoRun.eps, supervised: supervised.eps },
    auto_candidates: Object.fromEntries(standings.map((c) => [c.name, c.score === null ? null : round(c.score)])),
    auto_serving: standings.find((c) => c.leader)?.name,
    ...(peers ? { river: peers.river, river_best: peers.river_best, vw: peers.vw, peer_best: peers.peer_best } : {}),
    regimes,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { data: { type: 'string' }, task: { type: 'string' }, only: { type: 'string' }, 'no-regimes': { type: 'boolean' }, 'no-peers': { type: 'boolean' }, 'label-delay': { type: 'string' } },
  });
  const labelDelay = Number(values['label-delay'] ?? 0);
  if (!Number.isInteger(labelDelay) || labelDelay < 0) throw new ConfigError('--label-delay', `"${values['label-delay']}" is not a whole number of events ≥ 0`);
  const { backend } = await selectBackend(parseBackendPreference(process.env.STREAMTUNE_BACKEND));
  log(`backend: ${backend}`);
  const task = (values.task ?? 'classification') as Task;
  if (task !== 'classification' && task !== 'regression') throw new ConfigError('--task', `"${task}" is not classification or regression`);
  const only = values.only?.split(',');
  const datasets = values.data ? [{ name: path.basename(values.data).replace(/\.\w+$/, ''), task, files: [path.resolve(values.data)] }] : DEFAULTS.filter((d) => !only || only.includes(d.name));
  const py = values['no-peers'] ? null : peersPython();
  const out = [];
  for (const d of datasets) out.push(await runDataset(d, { py, regimes: !values['no-regimes'], labelDelay }));
  process.stdout.write(`${JSON.stringify({ backend, label_delay: labelDelay, datasets: out })}\n`);
}

await main();

/** Regime planning profiles vectors and texts; images and audio learn with the supervised ConvClassifier. */
function mediaUnsupported(): never {
  throw new ConfigError('data', 'image and audio events are not profiled here: they train supervised (ConvClassifier)');
}
