import { selectBackend, loadConfig, ConfigError } from '../../core/index.js';
import { readEvents } from '../../ingest/index.js';
import { fitStandardizer, hashText } from '../../features/index.js';
import type { Task } from '../../learners/index.js';
import { pairedDifference, prequentialScores, type StreamRow } from '../../evaluation/index.js';
import { buildRegimeLearner, profileDataset, recommendRegime, type Plan } from '../../regimes/index.js';
import { type Command, commonOverrides } from '../args.js';

/** Hash buckets for text, as `streamtune train` uses by default. */
const TEXT_DIM = 4096;

/** Parses `90`, `90s`, `5m` or `1h` into seconds. */
export function parseBudget(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h)?$/.exec(v.trim());
  if (!m) throw new ConfigError('--budget', `"${v}" is not a duration like 60s, 5m or 1h`);
  return Number(m[1]) * (m[2] === 'h' ? 3600 : m[2] === 'm' ? 60 : 1);
}

interface BakeoffEntry {
  regime: string;
  score: number;
  seconds: number;
  /** Per labelled event: hit (1/0) or absolute error, in file order. */
  scores: number[];
}

/**
 * Runs each candidate regime test-then-train over the file in its order: labelled
 * events are predicted, scored, then learned; unlabelled ones are learned where
 * the regime can (self-training, co-training), as the online trainer would.
 */
async function bakeoff(plan: Plan, events: Awaited<ReturnType<typeof readEvents>>['events'], task: Task): Promise<BakeoffEntry[]> {
  const text = plan.profile.modality === 'text';
  const raw = events.map((e) => ('text' in e.input ? hashText(e.input.text, TEXT_DIM) : 'features' in e.input ? e.input.features : mediaUnsupported()));
  const std = text ? null : fitStandardizer(raw);
  const rows: StreamRow[] = events.map((e, i) => ({
    id: e.id,
    x: std ? raw[i]!.map((v, j) => (v - std.mean[j]!) / std.std[j]!) : raw[i]!,
    y: e.label === null ? '' : task === 'regression' ? Number(e.label) : String(e.label),
    labelled: e.label !== null,
  }));
  const labelledRows = rows.filter((r) => r.labelled);
  const labels = [...new Set(labelledRows.map((r) => String(r.y)))].sort();
  const ys = labelledRows.map((r) => Number(r.y));
  const mean = task === 'regression' ? ys.reduce((a, b) => a + b, 0) / ys.length : 0;
  const sd = task === 'regression' ? Math.sqrt(ys.reduce((a, b) => a + (b - mean) ** 2, 0) / ys.length) || 1 : 1;
  const featureSpec = text ? ({ kind: 'text', dim: TEXT_DIM, ngrams: 1 } as const) : ({ kind: 'features', dim: rows[0]!.x.length } as const);
  const out: BakeoffEntry[] = [];
  for (const regime of plan.candidates.filter((r) => r !== 'transfer' && r !== 'fine-tune')) {
    const t0 = Date.now();
    const learner = await buildRegimeLearner({ regime, task, featureSpec, labels, unlabelled: rows.filter((r) => !r.labelled).map((r) => r.x), hiddenUnits: [64], learningRate: 0.01, targetMean: mean, targetStd: sd });
    const scores = await prequentialScores(learner, rows, task);
    learner.dispose();
    const score = scores.reduce((a, b) => a + b, 0) / Math.max(1, scores.length);
    out.push({ regime, score: Number(score.toFixed(4)), seconds: (Date.now() - t0) / 1000, scores });
  }
  return out.sort((a, b) => (task === 'regression' ? a.score - b.score : b.score - a.score));
}

/**
 * The recommendation after a bake-off: its winner, unless the rule-based choice
 * is within the noise of it (paired difference under 2 standard errors on the
 * same events), in which case the rule-based choice stands and the plan says so.
 */
export function settle(plan: Plan, ranked: readonly BakeoffEntry[], task: Task): { regime: string; reason: string; noise: number } {
  const winner = ranked[0]!;
  const rule = ranked.find((r) => r.regime === plan.regime);
  const unit = task === 'regression' ? 'MAE' : 'accuracy';
  const n = winner.scores.length;
  if (!rule || rule === winner) {
    const second = ranked[1];
    const d = second ? pairedDifference(winner.scores, second.scores) : null;
    const noise = d ? 2 * d.standardError : 0;
    return {
      regime: winner.regime,
      noise,
      reason: d && !d.significant ? `the bake-off agrees: ${winner.regime} ranks first, though ${second!.regime} is within its noise (±${noise.toFixed(4)} ${unit} over ${n} events)` : `the bake-off agrees: ${winner.regime} ranks first on ${n} labelled events`,
    };
  }
  const d = pairedDifference(winner.scores, rule.scores);
  const noise = 2 * d.standardError;
  if (d.significant) {
    return { regime: winner.regime, noise, reason: `the bake-off overrules the rules: ${winner.regime} beat ${rule.regime} by ${Math.abs(d.difference).toFixed(4)} ${unit} (more than its noise, ±${noise.toFixed(4)}, over ${n} events)` };
  }
  return {
    regime: rule.regime,
    noise,
    reason: `${winner.regime} ranked first, but its lead over ${rule.regime} (${Math.abs(d.difference).toFixed(4)} ${unit}) is within the noise of ${n} events (±${noise.toFixed(4)}): the bake-off cannot tell them apart, so the rule-based choice stands; score more events to decide`,
  };
}

export const planCommand: Command = {
  name: 'plan',
  usage: `Usage: streamtune plan --data FILE [--budget 60s] [--task classification|regression] [--json] [--bakeoff]

Looks at a JSONL or CSV dataset (modality, labelled vs unlabelled events, class balance,
size) and a time budget, and recommends a learning regime with its reasons. With
--bakeoff it also runs the candidate regimes test-then-train on the file's labelled
events and prints them ranked by prequential accuracy (or MAE for regression).

Example:
  streamtune plan --data data/spam/spam.jsonl --budget 2m --bakeoff`,
  options: {
    data: { type: 'string' },
    budget: { type: 'string' },
    task: { type: 'string' },
    json: { type: 'boolean' },
    bakeoff: { type: 'boolean' },
  },
  async run(values) {
    if (typeof values.data !== 'string') throw new ConfigError('--data', 'a JSONL or CSV dataset is required');
    const budget = parseBudget(typeof values.budget === 'string' ? values.budget : '60s');
    const { events } = await readEvents(values.data);
    if (values.task !== undefined && values.task !== 'classification' && values.task !== 'regression') throw new ConfigError('--task', 'classification or regression');
    const plan = recommendRegime(profileDataset(events, values.task as Task | undefined), budget);
    let ranked: BakeoffEntry[] | undefined;
    let noise = 0;
    if (values.bakeoff) {
      const config = loadConfig({ file: values.config as string | undefined, env: process.env, overrides: commonOverrides(values) });
      await selectBackend(config.backend, { conv: false });
      ranked = await bakeoff(plan, events, plan.profile.task);
      const settled = settle(plan, ranked, plan.profile.task);
      plan.regime = settled.regime as Plan['regime'];
      plan.reasons.push(settled.reason);
      noise = settled.noise;
    }
    if (values.json) {
      const bakeoffOut = ranked?.map(({ scores: _scores, ...r }) => r);
      process.stdout.write(`${JSON.stringify({ ...plan, ...(bakeoffOut ? { bakeoff: bakeoffOut, noise: Number(noise.toFixed(4)) } : {}) })}\n`);
      return 0;
    }
    const lines = [`Recommended regime: ${plan.regime}`, '', 'Why:', ...plan.reasons.map((r) => `  - ${r}`), '', `Candidates: ${plan.candidates.join(', ')}`];
    if (ranked) {
      const metric = plan.profile.task === 'regression' ? 'MAE' : 'accuracy';
      lines.push('', `Bake-off (prequential ${metric} on the labelled events, best first; noise ±${noise.toFixed(4)}):`, `  ${'regime'.padEnd(14)} ${metric.padStart(9)}  seconds`);
      for (const r of ranked) lines.push(`  ${r.regime.padEnd(14)} ${r.score.toFixed(4).padStart(9)}  ${r.seconds.toFixed(1).padStart(7)}`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  },
};

/** Regime planning profiles vectors and texts; images and audio learn with the supervised ConvClassifier. */
function mediaUnsupported(): never {
  throw new ConfigError('data', 'image and audio events are not profiled here: they train supervised (ConvClassifier)');
}
