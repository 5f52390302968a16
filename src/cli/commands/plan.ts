import { selectBackend, loadConfig, ConfigError } from '../../core/index.js';
import { readEvents } from '../../ingest/index.js';
import { fitStandardizer, hashText } from '../../features/index.js';
import type { Task } from '../../learners/index.js';
import { prequentialRun, type StreamRow } from '../../evaluation/index.js';
import { buildRegimeLearner, profileDataset, recommendRegime, type Plan } from '../../learners/index.js';
import { type Command, commonOverrides } from '../args.js';

/** Parses `90`, `90s`, `5m` or `1h` into seconds. */
export function parseBudget(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h)?$/.exec(v.trim());
  if (!m) throw new ConfigError('--budget', `"${v}" is not a duration like 60s, 5m or 1h`);
  return Number(m[1]) * (m[2] === 'h' ? 3600 : m[2] === 'm' ? 60 : 1);
}

/** Runs each candidate regime test-then-train on the sample (true labels hidden as in the file). */
async function bakeoff(plan: Plan, events: Awaited<ReturnType<typeof readEvents>>['events'], task: Task): Promise<{ regime: string; score: number; seconds: number }[]> {
  const text = plan.profile.modality === 'text';
  const raw = events.map((e) => ('text' in e.input ? hashText(e.input.text, 1024) : 'features' in e.input ? e.input.features : mediaUnsupported()));
  const std = text ? null : fitStandardizer(raw);
  const rows: (StreamRow & { labelled: boolean })[] = events.map((e, i) => ({
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
  const out = [];
  for (const regime of plan.candidates.filter((r) => r !== 'transfer' && r !== 'fine-tune')) {
    const t0 = Date.now();
    const learner = await buildRegimeLearner({ regime, task, featureSpec: { kind: 'features', dim: rows[0]!.x.length }, labels, unlabelled: rows.filter((r) => !r.labelled).map((r) => r.x), hiddenUnits: [64], learningRate: 0.01, targetMean: mean, targetStd: sd });
    // Scored on the labelled events, predicted before they are learned; unlabelled ones are learned where the regime can.
    const score = await prequentialRun(learner, labelledRows, task);
    const un = rows.filter((r) => !r.labelled);
    if (learner.learnUnlabelled && un.length) await learner.learnUnlabelled(un.map((r) => r.x), un.map((r) => r.id));
    learner.dispose();
    out.push({ regime, score: Number(score.toFixed(4)), seconds: (Date.now() - t0) / 1000 });
  }
  return out.sort((a, b) => (task === 'regression' ? a.score - b.score : b.score - a.score));
}

export const planCommand: Command = {
  name: 'plan',
  summary: 'recommend a learning regime for a dataset and a time budget (--bakeoff: run the candidates)',
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
    let ranked: Awaited<ReturnType<typeof bakeoff>> | undefined;
    if (values.bakeoff) {
      const config = loadConfig({ file: values.config as string | undefined, env: process.env, overrides: commonOverrides(values) });
      await selectBackend(config.backend, { conv: false });
      ranked = await bakeoff(plan, events, plan.profile.task);
    }
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ ...plan, ...(ranked ? { bakeoff: ranked } : {}) })}\n`);
      return 0;
    }
    const lines = [`Recommended regime: ${plan.regime}`, '', 'Why:', ...plan.reasons.map((r) => `  - ${r}`), '', `Candidates: ${plan.candidates.join(', ')}`];
    if (ranked) {
      const metric = plan.profile.task === 'regression' ? 'MAE' : 'accuracy';
      lines.push('', `Bake-off (prequential ${metric} on the labelled events, best first):`, `  ${'regime'.padEnd(14)} ${metric.padStart(9)}  seconds`);
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
