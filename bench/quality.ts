/**
 * Learning quality next to the strongest peers, on public streams, with a fixed
 * event order and seed. Per stream: the first min(300, n/4) events are the base
 * set (learned by everyone, never scored); every later event is predicted, then
 * learned, one event at a time (the standard prequential protocol: the primary
 * columns), by
 *   - streamtune's default regime for a new model (`auto`: online model selection),
 *   - streamtune's plain `supervised` learner,
 *   - River's standard pipelines and Vowpal Wabbit (bench/quality/peers.py, same raw events),
 *   - every learning regime at 5% and 20% labels (semi-/self-supervised vs supervised-only);
 * and, as second columns, `auto` and the peers under the trainer's lagged
 * micro-batch protocol (predict `--lag` events, then learn them). `--max-seconds`
 * gives every system the same budget per run (none by default); a run that
 * exceeds it scores null and is listed in `timed_out`.
 * Prints ONE JSON object (see docs/regimes.md).
 *
 *   npm run -s bench:quality
 *   npm run -s bench:quality -- --data FILE.jsonl --task classification|regression
 *   npm run -s bench:quality -- --only wine,bananas --no-regimes [--max-events 600] [--lag 16] [--max-seconds 300]
 *   npm run -s bench:quality -- --no-regimes --lag 1 --peers-from docs/quality-streams.json   (reuse a run's peer results)
 *   npm run -s bench:quality -- --label-delay 500    # labels released 500 events late (River's delay=); streamtune only, peers off
 *   npm run -s bench:quality -- --only spam --text-ngrams 2 --char-ngrams 3-5   (text hashing options, as a model's `text` spec)
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, parseBackendPreference, selectBackend, seededRandom } from '../src/core/index.js';
import { prequentialScores, type StreamRow } from '../src/evaluation/index.js';
import { checkFeatureSpec, fitStandardizer, hashText, type FeatureSpec } from '../src/features/index.js';
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

/** The kind of stream, for per-kind results: what it tests in a learner. */
type Kind = 'tabular' | 'text' | 'image' | 'regression' | 'imbalanced' | 'drifting';

interface Dataset {
  name: string;
  task: Task;
  kind: Kind;
  files: string[];
}

const data = (name: string, kind: Kind, task: Task = 'classification'): Dataset => ({ name, task, kind, files: [`data/${name}/${name}.jsonl`] });
/** Every stream is rebuilt from a registry package: scripts/datasets/make_streams.py, scripts/make-*.py. */
const DEFAULTS: Dataset[] = [
  { name: 'digits', task: 'classification', kind: 'image', files: ['data/digits/base.jsonl', 'data/digits/stream.jsonl'] },
  data('spam', 'text'),
  data('breast-cancer', 'tabular'),
  data('wine', 'tabular'),
  data('image-segments', 'tabular'),
  data('bananas', 'tabular'),
  data('sea-drift', 'drifting'),
  data('agrawal-drift', 'drifting'),
  data('hyperplane', 'drifting'),
  data('rbf-drift', 'drifting'),
  data('diabetes', 'regression', 'regression'),
  data('friedman-drift', 'regression', 'regression'),
  data('iris', 'tabular'),
  data('phishing', 'tabular'),
  data('waveform', 'tabular'),
  data('shuttle-anomaly', 'imbalanced'),
  data('led-drift', 'drifting'),
  data('stagger-drift', 'drifting'),
  data('mnist-14', 'image'),
  data('spam-hard', 'text'),
  data('trump-approval', 'regression', 'regression'),
  data('chick-weights', 'regression', 'regression'),
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

/** How each system is run, the same for streamtune and the peers. */
interface Protocol {
  /** Micro-batch of the lagged protocol (≤ 1: not run). */
  lag: number;
  /** Budget per run, in seconds (0: none). */
  maxSeconds: number;
  /** Events read per stream (0: all), for quick checks of the output. */
  maxEvents: number;
  /** Labels released this many events late, for streamtune's runs (the peers have no delay, so they are not run). */
  labelDelay: number;
}

interface PeerScore {
  score: number | null;
  eps: number | null;
  note?: string;
  score_lagged?: number | null;
  eps_lagged?: number | null;
  note_lagged?: string;
}
type Best = { system?: string; model: string; score: number } | null;

interface PeerResult {
  river: Record<string, PeerScore>;
  river_best: Best;
  river_best_lagged?: Best;
  vw: Record<string, PeerScore>;
  peer_best: Best;
  peer_best_lagged?: Best;
  timed_out: string[];
}

function runPeers(py: string, d: Dataset, prefix: number, files: string[], p: Protocol): PeerResult {
  const args = [path.join(ROOT, 'bench', 'quality', 'peers.py'), ...files, '--task', d.task, '--prefix', String(prefix), '--lag', String(p.lag), '--max-seconds-per-model', String(p.maxSeconds)];
  const r = spawnSync(py, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`peers failed on ${d.name}: ${r.stderr}`);
  return JSON.parse(r.stdout) as PeerResult;
}

const round = (v: number): number => Number(v.toFixed(4));

async function runDataset(d: Dataset, o: { py: string | null; peersFrom: PeersFrom | null; regimes: boolean; protocol: Protocol; textSpec: TextSpec }): Promise<Record<string, unknown>> {
  const p = o.protocol;
  let events: LabelEvent[] = [];
  for (const f of d.files) events.push(...(await readEvents(path.resolve(ROOT, f))).events.filter((e) => e.label !== null));
  if (p.maxEvents > 0) events = events.slice(0, p.maxEvents);
  const nPrefix = Math.min(300, Math.floor(events.length / 4));
  const text = 'text' in events[0]!.input;
  const raw = events.map((e) => ('text' in e.input ? hashText(e.input.text, TEXT_DIM, o.textSpec.ngrams, o.textSpec.charNgrams) : 'features' in e.input ? e.input.features : mediaUnsupported()));
  // As `streamtune train` does: tabular features standardized with the base set's statistics.
  const std = text ? null : fitStandardizer(raw.slice(0, nPrefix));
  const xs = raw.map((r) => (std ? r.map((v, j) => (v - std.mean[j]!) / std.std[j]!) : r));
  const rows: StreamRow[] = events.map((e, i) => ({ id: e.id, x: xs[i]!, y: d.task === 'regression' ? Number(e.label) : String(e.label) }));
  const prefix = rows.slice(0, nPrefix);
  const stream = rows.slice(nPrefix);
  const dim = xs[0]!.length;
  const featureSpec: FeatureSpec = text ? { kind: 'text', dim, ...o.textSpec } : { kind: 'features', dim };
  const labels = d.task === 'classification' ? [...new Set(rows.map((r) => String(r.y)))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })) : [];
  const ys = prefix.map((r) => Number(r.y));
  const targetMean = d.task === 'regression' ? ys.reduce((a, b) => a + b, 0) / ys.length : 0;
  const targetStd = d.task === 'regression' ? Math.sqrt(ys.reduce((a, b) => a + (b - targetMean) ** 2, 0) / ys.length) || 1 : 1;

  const timedOut: string[] = [];
  /**
   * Base set at a label share (a fixed seeded subset), learned in batch; then the
   * stream, prequentially in batches of `batchSize` (1: the primary protocol), within
   * the time budget — a run that exceeds it scores null and is listed in `timed_out`.
   */
  const score = async (name: string, learner: Learner, share: number, batchSize = 1): Promise<{ score: number | null; eps: number }> => {
    const t0 = performance.now();
    const stop = p.maxSeconds > 0 ? (): boolean => performance.now() - t0 > p.maxSeconds * 1000 : undefined;
    const rand = seededRandom(29);
    const base = prefix.filter(() => rand() < share);
    if (base.length > 0) await trainBatch(learner, base, { epochs: BASE_EPOCHS, batchSize: 16 });
    const t1 = performance.now();
    const s = await prequentialScores(learner, stream, d.task, { labelShare: share, batchSize, stop, labelDelay: p.labelDelay });
    const eps = Math.round(s.length / ((performance.now() - t1) / 1000));
    if (s.length < stream.length) {
      timedOut.push(name);
      log(`${d.name} ${name}: timed out after ${p.maxSeconds} s on ${s.length} of ${stream.length} events`);
      return { score: null, eps };
    }
    return { score: round(s.reduce((a, b) => a + b, 0) / s.length), eps };
  };

  const auto = new AutoLearner({ featureSpec, task: d.task, labels });
  const autoRun = await score('auto', auto, 1);
  const standings = auto.candidateScores();
  auto.dispose();
  log(`${d.name} auto: ${autoRun.score} (${autoRun.eps} ev/s; serving ${standings.find((c) => c.leader)?.name}; ${standings.map((c) => `${c.name} ${c.score?.toFixed(3)}`).join(', ')})`);
  let autoLagged: { score: number | null; eps: number } | null = null;
  if (p.lag > 1) {
    const lagged = new AutoLearner({ featureSpec, task: d.task, labels });
    autoLagged = await score('auto_lagged', lagged, 1, p.lag);
    lagged.dispose();
    log(`${d.name} auto_lagged: ${autoLagged.score} (${autoLagged.eps} ev/s)`);
  }

  const regimeLearner = (regime: Regime, encoderDir?: string): Promise<Learner> =>
    buildRegimeLearner({ regime, task: d.task, featureSpec, labels, hiddenUnits: [64], learningRate: 0.01, unlabelled: prefix.map((r) => r.x), pretrainEpochs: 10, encoderDir, targetMean, targetStd, seed: 1 });
  const sup = await regimeLearner('supervised');
  const supervised = await score('supervised', sup, 1);
  sup.dispose();
  log(`${d.name} supervised: ${supervised.score} (${supervised.eps} ev/s)`);

  const files = o.py && !o.peersFrom ? await peerFiles(d, events) : [];
  const peers = o.peersFrom ? reusedPeers(o.peersFrom, d.name) : o.py ? runPeers(o.py, d, nPrefix, files, p) : null;
  for (const f of files) if (f.startsWith(os.tmpdir())) await fs.rm(path.dirname(f), { recursive: true, force: true });
  if (peers) log(`${d.name} river_best: ${peers.river_best?.model} ${peers.river_best?.score}; peer_best: ${peers.peer_best?.system} ${peers.peer_best?.model} ${peers.peer_best?.score}`);

  const regimes: Record<string, number | null> = {};
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
        regimes[`${regime}@${share}`] = (await score(`${regime}@${share}`, learner, share)).score;
        learner.dispose();
        log(`${d.name} ${regime}@${share}: ${regimes[`${regime}@${share}`]}`);
      }
    }
    await fs.rm(store.root, { recursive: true, force: true });
  }
  return {
    name: d.name,
    task: d.task,
    kind: d.kind,
    events: stream.length,
    metric: d.task === 'regression' ? 'prequential MAE' : 'prequential accuracy',
    protocol: { primary: 'predict one event, then learn it', ...(p.lag > 1 ? { lagged: `predict ${p.lag} events, then learn them` } : {}), max_seconds: p.maxSeconds || null },
    auto: autoRun.score,
    ...(autoLagged ? { auto_lagged: autoLagged.score } : {}),
    supervised: supervised.score,
    eps: { auto: autoRun.eps, supervised: supervised.eps, ...(autoLagged ? { auto_lagged: autoLagged.eps } : {}) },
    auto_candidates: Object.fromEntries(standings.map((c) => [c.name, c.score === null ? null : round(c.score)])),
    auto_serving: standings.find((c) => c.leader)?.name,
    ...(peers
      ? {
          river: peers.river,
          river_best: peers.river_best,
          vw: peers.vw,
          peer_best: peers.peer_best,
          ...(p.lag > 1 ? { river_best_lagged: peers.river_best_lagged ?? null, peer_best_lagged: peers.peer_best_lagged ?? null } : {}),
        }
      : {}),
    timed_out: [...timedOut, ...(peers?.timed_out ?? [])],
    regimes,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      task: { type: 'string' },
      only: { type: 'string' },
      'no-regimes': { type: 'boolean' },
      'no-peers': { type: 'boolean' },
      lag: { type: 'string', default: '16' },
      'max-seconds': { type: 'string', default: '0' },
      'max-events': { type: 'string', default: '0' },
      'label-delay': { type: 'string', default: '0' },
      'text-ngrams': { type: 'string', default: '1' },
      'char-ngrams': { type: 'string' },
      'peers-from': { type: 'string' },
    },
  });
  const protocol: Protocol = { lag: count('--lag', values.lag), maxSeconds: count('--max-seconds', values['max-seconds']), maxEvents: count('--max-events', values['max-events']), labelDelay: count('--label-delay', values['label-delay']) };
  if (!Number.isInteger(protocol.labelDelay)) throw new ConfigError('--label-delay', `must be a whole number of events, got "${values['label-delay']}"`);
  const { backend } = await selectBackend(parseBackendPreference(process.env.STREAMTUNE_BACKEND));
  log(`backend: ${backend}`);
  const task = (values.task ?? 'classification') as Task;
  if (task !== 'classification' && task !== 'regression') throw new ConfigError('--task', `"${task}" is not classification or regression`);
  const only = values.only?.split(',');
  const textSpec = parseTextSpec(values['text-ngrams'], values['char-ngrams']);
  const datasets: Dataset[] = values.data ? [{ name: path.basename(values.data).replace(/\.\w+$/, ''), task, kind: task === 'regression' ? 'regression' : 'tabular', files: [path.resolve(values.data)] }] : DEFAULTS.filter((d) => !only || only.includes(d.name));
  // The peers' runner has no label delay: with one, comparing would not be fair, so they are left out.
  const peersFrom = values['peers-from'] && !values['no-peers'] ? await readPeersFrom(values['peers-from'], protocol) : null;
  const py = values['no-peers'] || peersFrom || protocol.labelDelay > 0 ? null : peersPython();
  const out = [];
  for (const d of datasets) out.push(await runDataset(d, { py, peersFrom, regimes: !values['no-regimes'], protocol, textSpec }));
  const shown = { lag: protocol.lag, max_seconds: protocol.maxSeconds || null, max_events: protocol.maxEvents || null, label_delay: protocol.labelDelay };
  process.stdout.write(`${JSON.stringify({ backend, protocol: shown, datasets: out })}\n`);
}

type TextSpec = { ngrams: 1 | 2; charNgrams?: [number, number] };

/** A previous run's output, whose peer results `--peers-from` reuses (the peers are seeded: a rerun repeats their scores). */
type PeersFrom = Map<string, PeerResult>;

/** Reads `--peers-from FILE`: refused unless it was run with the same protocol, so that both sides still play by one. */
async function readPeersFrom(file: string, p: Protocol): Promise<PeersFrom> {
  let prev: { protocol?: { lag?: number; max_seconds?: number | null; max_events?: number | null; label_delay?: number }; datasets?: (PeerResult & { name: string })[] };
  try {
    prev = JSON.parse(await fs.readFile(file, 'utf8')) as typeof prev;
  } catch (e) {
    throw new ConfigError('--peers-from', `cannot read ${file} as a bench:quality output: ${(e as Error).message}`);
  }
  const q = prev.protocol;
  if (!q || q.lag !== p.lag || (q.max_seconds ?? 0) !== p.maxSeconds || (q.max_events ?? 0) !== p.maxEvents || q.label_delay !== p.labelDelay) {
    throw new ConfigError('--peers-from', `${file} was run with another protocol (${JSON.stringify(q)}): use the same --lag, --max-seconds, --max-events, --label-delay`);
  }
  return new Map((prev.datasets ?? []).filter((d) => d.peer_best !== undefined).map((d) => [d.name, d]));
}

function reusedPeers(from: PeersFrom, name: string): PeerResult {
  const r = from.get(name);
  if (!r) throw new ConfigError('--peers-from', `has no peer results for stream "${name}"`);
  const timedOut = (r.timed_out ?? []).filter((t) => t.startsWith('river:') || t.startsWith('vw:'));
  return { ...r, timed_out: timedOut };
}

/** `--text-ngrams 1|2` and `--char-ngrams MIN-MAX` as a text spec's hashing options, checked as a model's would be. */
function parseTextSpec(ngrams: string | undefined, chars: string | undefined): TextSpec {
  const spec = { ngrams: Number(ngrams), ...(chars === undefined ? {} : { charNgrams: chars.split('-').map(Number) }) } as TextSpec;
  checkFeatureSpec({ kind: 'text', dim: TEXT_DIM, ...spec }, '--text-ngrams/--char-ngrams');
  return spec;
}

/** A flag's value as a number ≥ 0, or a one-line ConfigError naming it. */
function count(flag: string, v: string | undefined): number {
  const n = Number(v);
  if (!(n >= 0)) throw new ConfigError(flag, `must be a number ≥ 0, got "${v}"`);
  return n;
}

/** The files the peers read: the dataset's own, or (with --max-events) the events streamtune kept, written to a temporary file. */
async function peerFiles(d: Dataset, events: readonly LabelEvent[]): Promise<string[]> {
  const files = d.files.map((f) => path.resolve(ROOT, f));
  const total = (await Promise.all(files.map(async (f) => (await readEvents(f)).events.filter((e) => e.label !== null).length))).reduce((a, b) => a + b, 0);
  if (total === events.length) return files;
  const file = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'st-bench-peers-')), `${d.name}.jsonl`);
  await fs.writeFile(file, events.map((e) => JSON.stringify(e)).join('\n'));
  return [file];
}

await main();

/** Regime planning profiles vectors and texts; images and audio learn with the supervised ConvClassifier. */
function mediaUnsupported(): never {
  throw new ConfigError('data', 'image and audio events are not profiled here: they train supervised (ConvClassifier)');
}
