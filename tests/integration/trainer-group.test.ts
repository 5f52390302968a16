import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { TrainerProcess } from '../../src/app/trainer-process.js';
import { loadConfig, seededRandom } from '../../src/core/index.js';
import { createKafka, ensureTopics, EventProducer, type LabelEvent } from '../../src/ingest/index.js';
import { DenseClassifier, DenseRegressor } from '../../src/learners/index.js';
import { VersionStore, type VersionMeta } from '../../src/registry/index.js';
import { lineage } from '../helpers/lineage.js';
import { alive } from '../helpers/processes.js';
import { useTestBackend } from '../helpers/test-backend.js';
import { uniq, waitFor } from '../helpers/wait-for.js';

const brokers = inject('kafkaBrokers').split(',');
const kafka = createKafka(brokers, 'streamtune-trainer-group-test');

const MODELS = Array.from({ length: 24 }, (_, i) => `m${String(i).padStart(2, '0')}`);
/** Events per model, sent in ROUNDS rounds while the trainers run. */
const PER_MODEL = 40;
const ROUNDS = 8;
const PARTITIONS = 6;
/** The model of events that name none. */
const DEFAULT_MODEL = MODELS[0]!;

/** Round `r` of events: PER_MODEL / ROUNDS per model, and two for a model the registry does not have. */
function round(r: number): LabelEvent[] {
  const rand = seededRandom(r + 1);
  const per = PER_MODEL / ROUNDS;
  const out: LabelEvent[] = [];
  for (let k = 0; k < per; k++) {
    for (const [i, model] of MODELS.entries()) {
      const x = [rand() * 2 - 1, rand() * 2 - 1, rand() * 2 - 1, rand() * 2 - 1];
      const label = i % 2 === 0 ? (x[0]! + x[1]! > 0 ? 'p' : 'q') : 2 * x[0]! - x[3]!;
      // Events of the default model name no model: they are keyed and routed by the default.
      out.push({ id: `${model}-${r}-${k}`, ...(model === DEFAULT_MODEL ? {} : { model }), input: { features: x }, label });
    }
  }
  out.push({ id: `ghost-${r}`, model: 'ghost', input: { features: [0, 0, 0, 0] }, label: 'p' });
  return out;
}

/** Every record of a topic with its partition and offset (read from the beginning). */
async function readAll(topic: string, count: number): Promise<{ partition: number; offset: number; key: string; value: string; headers: Record<string, string> }[]> {
  const consumer = kafka.consumer({ groupId: `reader-${uniq()}` });
  const got: { partition: number; offset: number; key: string; value: string; headers: Record<string, string> }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) =>
      void got.push({
        partition,
        offset: Number(message.offset),
        key: message.key?.toString() ?? '',
        value: message.value?.toString() ?? '',
        headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
      }),
  });
  try {
    await waitFor(`${count} records on ${topic}`, () => got.length >= count, 60_000);
  } finally {
    await consumer.disconnect();
  }
  return got;
}

describe('a group of trainer processes learning many models (real broker, one trainer killed with SIGKILL, one joining)', () => {
  let dir = '';
  const trainers: TrainerProcess[] = [];
  afterAll(async () => {
    for (const t of trainers) t.kill();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('splits the models by partition; after a kill the others take over and a new member takes a share: every model learns each of its events exactly once', async () => {
    const backend = await useTestBackend();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-group-'));
    const id = uniq();
    const labelsTopic = `test.group.labels.${id}`;
    const dlqTopic = `test.group.dlq.${id}`;
    const config = loadConfig({
      overrides: {
        model: DEFAULT_MODEL,
        registryDir: dir,
        backend,
        kafka: { brokers, labelsTopic, dlqTopic, modelsTopic: `test.group.models.${id}`, groupId: `group-${id}`, sessionTimeoutMs: 6000 },
        // No dedupe: exactly-once must come from the offsets alone. No guardrail: nothing here is about promotion.
        training: { maxBatchSize: 32, maxBatchWaitMs: 20, versionEverySteps: 2, versionEveryMs: 300, dedupeWindow: 0, guardrail: { enabled: false } },
        // Every version stays: the test walks each model's whole lineage back to its base.
        registry: { retention: { keepVersions: 0 } },
      },
    });
    const store = new VersionStore(dir);
    for (const [i, model] of MODELS.entries()) {
      const featureSpec = { kind: 'features' as const, dim: 4 };
      const learner = i % 2 === 0 ? new DenseClassifier({ featureSpec, labels: ['p', 'q'], hiddenUnits: [] }) : new DenseRegressor({ featureSpec, hiddenUnits: [] });
      await store.save(model, learner, { parent: null, regime: 'test', backend, examplesSeen: 0, metrics: {}, offsets: {} });
      learner.dispose();
    }
    await ensureTopics(kafka, [{ topic: labelsTopic, numPartitions: PARTITIONS }, { topic: dlqTopic }]);

    // Which trainer process wrote which version, and when.
    const writer = new Map<string, { trainer: number; at: number }>();
    // Trainers that exited other than by the test's kill or stop (no supervisor restarts them here), with their last words.
    const exited: string[] = [];
    const log: string[] = [];
    const t0 = Date.now();
    let stopping = false;
    const addTrainer = (): TrainerProcess => {
      const t = trainers.length;
      const trainer = new TrainerProcess(config);
      trainer.on('version', (m) => writer.set(`${m.meta.model}@${m.meta.version}`, { trainer: t, at: Date.now() }));
      let lastError = '';
      trainer.on('error-message', (m) => (lastError = m));
      trainer.on('log', (m) => log.push(`${((Date.now() - t0) / 1000).toFixed(1)}s ${t}: ${m.line}`));
      trainer.on('version', (m) => log.push(`${((Date.now() - t0) / 1000).toFixed(1)}s ${t}: saved ${m.meta.model}@${m.meta.version}`));
      trainer.on('exit', (code, signal) => {
        if (!stopping && signal !== 'SIGKILL') exited.push(`trainer ${t} (code ${code}, signal ${signal}): ${lastError}`);
      });
      trainers.push(trainer);
      return trainer;
    };
    /** Fails at once when a trainer exited by itself: the group would wait for it in vain. */
    const noneExited = (check: () => boolean | Promise<boolean>) => async (): Promise<boolean> => {
      if (exited.length > 0) throw new Error(`a trainer exited: ${exited.join('; ')}`);
      return check();
    };
    /** Waits until the group has `n` members and no rebalance under way (a join phase may take the members' rebalance timeout, 60 s). */
    const settled = async (n: number): Promise<void> => {
      const admin = kafka.admin();
      await admin.connect();
      let seen = '';
      try {
        await waitFor(`the group to settle with ${n} members`, async () => {
          if (exited.length > 0) throw new Error(`a trainer exited: ${exited.join('; ')}`);
          const [g] = (await admin.describeGroups([config.kafka.groupId])).groups;
          seen = `${g!.state} with ${g!.members.length} members`;
          return g!.state === 'Stable' && g!.members.length === n;
        }, 150_000).catch((err: Error) => Promise.reject(new Error(`${err.message} (last seen: ${seen})`, { cause: err })));
      } finally {
        await admin.disconnect();
      }
    };
    await Promise.all([addTrainer(), addTrainer(), addTrainer()].map((t) => t.start()));
    await settled(3);
    expect(trainers[0]!.models).toEqual(MODELS);

    const producer = new EventProducer(kafka, labelsTopic, { defaultModel: DEFAULT_MODEL });
    const sent = async (r: number): Promise<void> => {
      await producer.send(round(r));
      await new Promise((res) => setTimeout(res, 300));
    };
    for (let r = 0; r < ROUNDS / 2; r++) await sent(r);
    // Each trainer reads its share of the partitions: wait until all three checkpointed models.
    const modelsOf = (t: number): Set<string> => new Set([...writer].filter(([, w]) => w.trainer === t).map(([k]) => k.split('@')[0]!));
    await waitFor('every trainer to checkpoint some model', noneExited(() => [0, 1, 2].every((t) => modelsOf(t).size > 0)), 90_000);
    // Kill, mid-stream, the trainer with the most models: no save, no commit, no leaving the group.
    const victim = [0, 1, 2].sort((a, b) => modelsOf(b).size - modelsOf(a).size)[0]!;
    const victimModels = modelsOf(victim);
    await producer.send(round(ROUNDS / 2));
    await new Promise((res) => setTimeout(res, 100));
    const killedAt = Date.now();
    process.kill(trainers[victim]!.pid!, 'SIGKILL');
    await waitFor('the killed trainer to be gone', () => !alive(trainers[victim]!.pid!), 30_000);
    for (let r = ROUNDS / 2 + 1; r < ROUNDS - 1; r++) await sent(r);
    const byOthers = (): boolean => [...writer].some(([k, w]) => victimModels.has(k.split('@')[0]!) && w.trainer !== victim && w.at > killedAt);
    // The session of the killed member times out (6 s), then the survivors rejoin: a join phase may last the rebalance timeout (60 s).
    await waitFor('the others to take the killed trainer\'s models over', noneExited(byOthers), 150_000).catch((err: Error) =>
      Promise.reject(new Error(`${err.message} (killed trainer ${victim} at ${((killedAt - t0) / 1000).toFixed(1)}s, its models: ${[...victimModels].join(', ')})\ntrainers' log:\n${log.slice(-80).join('\n')}`, { cause: err })),
    );
    // A new member joins while events flow: partitions move between live trainers too.
    await addTrainer().start();
    await settled(3);
    await sent(ROUNDS - 1);
    await producer.close();

    const newest = async (model: string): Promise<VersionMeta> => store.meta(model, (await store.newest(model))!);
    await waitFor(
      `all ${PER_MODEL} events of each of the ${MODELS.length} models learned`,
      noneExited(async () => {
        for (const model of MODELS) if ((await newest(model)).examplesSeen < PER_MODEL) return false;
        return true;
      }),
      150_000,
    );
    const survivors = [0, 1, 2, 3].filter((t) => t !== victim);
    stopping = true;
    await Promise.all(survivors.map((t) => trainers[t]!.stop()));

    // Where each model's events are: one partition per model (partitioned by model).
    const records = await readAll(labelsTopic, MODELS.length * PER_MODEL + ROUNDS);
    const byModel = new Map<string, { partition: number; offset: number }[]>();
    for (const r of records) {
      const model = (JSON.parse(r.value) as { model?: string }).model ?? DEFAULT_MODEL;
      expect(r.key).toBe(model);
      byModel.set(model, [...(byModel.get(model) ?? []), r]);
    }
    for (const model of MODELS) {
      const mine = byModel.get(model)!;
      expect(mine).toHaveLength(PER_MODEL);
      const partitions = new Set(mine.map((r) => r.partition));
      expect(partitions.size).toBe(1);
      const key = `${labelsTopic}/${mine[0]!.partition}`;
      // Every version learned exactly this model's events between its parent's offsets and its own.
      const chain = await lineage(store, model);
      const between = (from: string | undefined, to: string | undefined): number => mine.filter((r) => r.offset >= Number(from ?? 0) && r.offset < Number(to ?? 0)).length;
      let sum = 0;
      for (let i = 0; i < chain.length - 1; i++) {
        const [v, parent] = [chain[i]!, chain[i + 1]!];
        const learned = v.examplesSeen - parent.examplesSeen;
        expect({ model, version: v.version, learned }).toEqual({ model, version: v.version, learned: between(parent.offsets[key], v.offsets[key]) });
        expect(learned).toBeGreaterThan(0);
        sum += learned;
      }
      expect({ model, sum, seen: chain[0]!.examplesSeen }).toEqual({ model, sum: PER_MODEL, seen: PER_MODEL });
      expect(Number(chain[0]!.offsets[key])).toBe(Math.max(...mine.map((r) => r.offset)) + 1);
    }
    // The killed trainer's models went on with the others, after the kill.
    expect(victimModels.size).toBeGreaterThan(0);
    for (const model of victimModels) {
      const chain = await lineage(store, model);
      const after = chain.map((v) => writer.get(`${model}@${v.version}`)).filter((w) => w && w.at > killedAt);
      expect({ model, continuedBySurvivor: after.some((w) => survivors.includes(w!.trainer)) }).toEqual({ model, continuedBySurvivor: true });
    }
    // The new member learned its share.
    expect([...writer.values()].some((w) => w.trainer === 3)).toBe(true);
    // Events for a model the registry does not have are dead-lettered, naming it.
    const dead = await readAll(dlqTopic, ROUNDS);
    const ghosts = dead.filter((d) => d.headers['streamtune-reason'] === 'unknown_model');
    expect(ghosts.length).toBeGreaterThanOrEqual(ROUNDS);
    expect(ghosts[0]!.headers['streamtune-error']).toMatch(/model "ghost" has no version/);
  }, 1_080_000);
});
