/**
 * `streamtune train --task spans` as a user runs it: a JSONL file of
 * span-labelled texts → a SpanTagger saved as v1 in the registry, which tags
 * held-out sentences (names and places it never saw among them) well.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spanF1 } from '../../src/evaluation/index.js';
import { featurize } from '../../src/features/index.js';
import { labelTarget, type LabelEvent } from '../../src/ingest/index.js';
import { SpanTagger } from '../../src/learners/index.js';
import { VersionStore } from '../../src/registry/index.js';
import { run } from '../helpers/outside-tools.js';
import { spanStream } from '../helpers/span-stream.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const MAIN = path.join(ROOT, 'src', 'cli', 'main.ts');
/** Held-out entity F1 the trained tagger must exceed; an untrained one scores 0. */
const FLOOR = 0.8;

const streamtune = (args: string[]) => {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('STREAMTUNE_') || k === 'KAFKA_BROKERS') delete env[k];
  return run(process.execPath, ['--import', path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs'), MAIN, ...args], { env, timeoutMs: 120_000, cwd: ROOT });
};

const toEvents = (examples: ReturnType<typeof spanStream>, prefix: string): LabelEvent[] => examples.map((e, i) => ({ id: `${prefix}-${i}`, input: { text: e.text }, label: { spans: e.spans } }));
const jsonl = (events: LabelEvent[]): string => events.map((e) => JSON.stringify(e)).join('\n') + '\n';

describe('streamtune train --task spans', { timeout: 180_000 }, () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-train-spans-'));
  });
  afterAll(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('batch-trains a SpanTagger from span-labelled JSONL, saves v1, and tags held-out lines with entity F1 above the floor an untrained tagger fails', async () => {
    const train = path.join(dir, 'ner.jsonl');
    const holdout = path.join(dir, 'ner-holdout.jsonl');
    const held = toEvents(spanStream(120, 7, true), 'h');
    await fs.writeFile(train, jsonl(toEvents(spanStream(300, 3), 't')));
    await fs.writeFile(holdout, jsonl(held));
    const registry = path.join(dir, 'registry');
    const r = await streamtune(['train', '--task', 'spans', '--data', train, '--holdout', holdout, '--model', 'ner', '--epochs', '5', '--registry', registry, '--backend', 'cpu']);
    expect({ status: r.status, err: r.stderr.split('\n').filter((l) => !/^(backend:|epoch )/.test(l)).join('\n') }).toEqual({ status: 0, err: '' });
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ model: 'ner', version: 'v1', examples: 300, rejected: 0, task: 'spans', epochs: 5 });
    expect(out.holdoutEntityF1).toBeGreaterThan(FLOOR);

    // The saved version, loaded as a server loads it, scores the held-out lines itself.
    const store = new VersionStore(registry);
    expect(await store.newest('ner')).toBe('v1');
    const { learner, meta } = await store.load('ner', 'v1');
    expect(meta).toMatchObject({ className: 'SpanTagger', regime: 'auto-batch', examplesSeen: 300, parent: null });
    expect(learner.describe()).toMatchObject({ task: 'spans', inputKind: 'text', labels: ['LOC', 'PER'] });
    const spec = learner.featureSpec;
    const examples = held.map((e) => ({ x: featurize(e.input, spec), y: labelTarget(e.label as { spans: [] }) }));
    const trained = spanF1(learner, examples);
    const untrained = spanF1(new SpanTagger({ featureSpec: spec, labels: ['LOC', 'PER'] }), examples);
    process.stdout.write(`${JSON.stringify({ heldOutEntityF1: { trained, untrained } })}\n`);
    expect(trained).toBeCloseTo(out.holdoutEntityF1 as number, 4);
    expect(meta.metrics.holdoutEntityF1).toBeCloseTo(trained, 6);
    expect(trained).toBeGreaterThan(FLOOR);
    expect(untrained).toBeLessThan(FLOOR);
  });

  it('a file of class labels is refused with one line naming --task and the event', async () => {
    const file = path.join(dir, 'classes.jsonl');
    await fs.writeFile(file, jsonl([{ id: 'c1', input: { text: 'meet Alice in Paris' }, label: 'travel' }]));
    const r = await streamtune(['train', '--task', 'spans', '--data', file, '--registry', path.join(dir, 'reg2'), '--backend', 'cpu']);
    const lines = r.stderr.split('\n').filter((l) => l && !/^backend:/.test(l));
    expect({ status: r.status, lines }).toEqual({ status: 2, lines: [expect.stringMatching(/--task.*event "c1" has the label "travel": a spans model learns \{"spans"/)] });
  });
});
