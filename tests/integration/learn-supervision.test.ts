/**
 * `streamtune learn` as a user runs it, against the real broker: it supervises its
 * trainer process as `serve` does. A labels topic that does not exist yet is waited
 * for, a trainer killed with SIGKILL is replaced by one that goes on learning,
 * SIGTERM saves, commits and exits 0, and only a mistake of the user's ends it
 * (exit 2, one line naming it).
 */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seededRandom } from '../../src/core/index.js';
import { createKafka, ensureTopics, EventProducer, KafkaSource, type RawRecord } from '../../src/ingest/index.js';
import { DenseClassifier } from '../../src/learners/index.js';
import { VersionStore } from '../../src/registry/index.js';
import { alive, childPids, runCli } from '../helpers/processes.js';
import { useTestBackend } from '../helpers/test-backend.js';
import { uniq, waitFor } from '../helpers/wait-for.js';

const brokers = inject('kafkaBrokers').split(',');

function events(n: number, from: number): { id: string; input: { features: number[] }; label: string }[] {
  const rand = seededRandom(from + 11);
  return Array.from({ length: n }, (_, i) => {
    const x = [rand() * 2 - 1, rand() * 2 - 1];
    return { id: `ls-${from + i}`, input: { features: x }, label: x[0]! > x[1]! ? 'a' : 'b' };
  });
}

type LogLine = { level: string; msg: string; event?: string; pid?: number; restarts?: number; signal?: string };
const parse = (lines: string[]): LogLine[] => lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);
const exitOf = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once('exit', (code) => resolve(code)));

describe('streamtune learn supervises its trainer', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  let dir: string;
  let backend: string;
  let store: VersionStore;

  beforeAll(async () => {
    backend = await useTestBackend();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-learn-supervise-'));
    cleanup.push(() => fs.rm(dir, { recursive: true, force: true }));
    store = new VersionStore(path.join(dir, 'registry'));
    const base = new DenseClassifier({ featureSpec: { kind: 'features', dim: 2 }, labels: ['a', 'b'], hiddenUnits: [8] });
    await store.save('m', base, { parent: null, regime: 'test', backend, examplesSeen: 0, metrics: {}, offsets: {} });
    base.dispose();
  });

  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  });

  /** Examples the newest version of "m" has learned. */
  const examplesSeen = async (): Promise<number> => (await store.meta('m', (await store.newest('m'))!)).examplesSeen;

  it('a consumer of a topic the broker does not know yet waits for it (one warning) and reads it once it is created', async () => {
    const id = uniq();
    const topic = `test.learn-supervise.late.${id}`;
    const logs: string[] = [];
    const kafka = createKafka(brokers, `late-${id}`, (l) => logs.push(l));
    const source = new KafkaSource(kafka, { topic, groupId: `late-${id}`, topicRetryMs: 200 });
    cleanup.push(() => source.close());
    const records: RawRecord[] = [];
    let failed: unknown;
    source.records().subscribe({
      next: (r) => {
        records.push(r);
        source.ack(r);
      },
      error: (err: unknown) => (failed = err),
    });
    await waitFor('the consumer to find the topic missing', () => failed !== undefined || logs.some((l) => l.includes(`topic ${topic} not known`)), 60_000);
    expect(failed).toBeUndefined();
    await ensureTopics(kafka, [{ topic }]);
    const producer = new EventProducer(kafka, topic);
    await producer.send(events(3, 0));
    await producer.close();
    await waitFor('the three records', () => failed !== undefined || records.length >= 3, 90_000);
    expect(failed).toBeUndefined();
    expect(records.map((r) => r.offset)).toEqual(['0', '1', '2']);
    expect(logs.filter((l) => l.includes('not known')).length).toBe(1);
  }, 180_000);

  describe('one `streamtune learn` process', () => {
    const id = uniq();
    const labelsTopic = `test.learn-supervise.labels.${id}`;
    const groupId = `learn-supervise-${id}`;
    const kafka = createKafka(brokers);
    let learn: { child: ChildProcess; lines: string[] };
    const running = (): void => {
      if (learn.child.exitCode !== null) throw new Error(`learn exited (code ${learn.child.exitCode}):\n${learn.lines.slice(-10).join('\n')}`);
    };
    const produce = async (n: number, from: number): Promise<void> => {
      const producer = new EventProducer(kafka, labelsTopic);
      await producer.send(events(n, from));
      await producer.close();
    };

    it('started before its labels topic exists, keeps running and learns the events produced once the topic is there', async () => {
      const admin = kafka.admin();
      await admin.connect();
      expect(await admin.listTopics()).not.toContain(labelsTopic);
      await admin.disconnect();
      const config = {
        model: 'm',
        registryDir: store.root,
        backend,
        kafka: { brokers, labelsTopic, dlqTopic: `test.learn-supervise.dlq.${id}`, modelsTopic: `test.learn-supervise.models.${id}`, groupId, sessionTimeoutMs: 6000 },
        training: { maxBatchSize: 10, maxBatchWaitMs: 50, versionEverySteps: 2, versionEveryMs: 500 },
        metrics: { port: 0 },
      };
      await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify(config));
      learn = runCli(['learn', '--config', path.join(dir, 'config.json')]);
      cleanup.push(async () => {
        // Only while learn runs (not reaped): the pid of an exited one may be another process's now.
        if (learn.child.exitCode === null && learn.child.signalCode === null) for (const pid of childPids(learn.child.pid!)) process.kill(pid, 'SIGKILL');
        learn.child.kill('SIGKILL');
      });
      await waitFor(
        'the trainer to consume',
        () => {
          running();
          return parse(learn.lines).some((l) => l.event === 'trainer_up');
        },
        120_000,
      );
      await produce(40, 0);
      await waitFor(
        'a version that learned the 40 events',
        async () => {
          running();
          return (await examplesSeen()) >= 40;
        },
        120_000,
      );
      expect(await examplesSeen()).toBe(40);
      expect(alive(learn.child.pid!)).toBe(true);
    }, 300_000);

    it('a trainer killed with SIGKILL is replaced by a new one that goes on learning; SIGTERM then saves, commits and exits 0', async () => {
      const first = parse(learn.lines).find((l) => l.event === 'trainer_up')!.pid!;
      expect(childPids(learn.child.pid!)).toContain(first);
      process.kill(first, 'SIGKILL');
      await waitFor(
        'a new trainer to consume',
        () => {
          running();
          return parse(learn.lines).some((l) => l.event === 'trainer_up' && l.restarts === 1);
        },
        180_000,
      );
      const log = parse(learn.lines);
      expect(log.find((l) => l.event === 'trainer_exit')).toMatchObject({ level: 'error', signal: 'SIGKILL', msg: expect.stringMatching(/^trainer exited \(code null, signal SIGKILL\); restarting in \d+ ms$/) });
      const second = log.find((l) => l.restarts === 1)!;
      expect(second.msg).toMatch(/^trainer restarted \(pid \d+\): learning again/);
      expect(second.pid).not.toBe(first);
      expect(childPids(learn.child.pid!)).toContain(second.pid);
      expect(childPids(learn.child.pid!)).not.toContain(first);

      await produce(40, 40);
      // The new trainer takes the partition once the killed one's session expires (6 s).
      await waitFor(
        'a version that learned all 80 events',
        async () => {
          running();
          return (await examplesSeen()) >= 80;
        },
        180_000,
      );
      expect(await examplesSeen()).toBe(80);

      learn.child.kill('SIGTERM');
      expect(await exitOf(learn.child)).toBe(0);
      expect(alive(second.pid!)).toBe(false);
      expect(parse(learn.lines).at(-1)!.msg).toMatch(/^stopped after learning \d+ events$/);
      // Saved and committed on the way out: the group resumes after the 80th event.
      const admin = kafka.admin();
      await admin.connect();
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [labelsTopic] });
      await admin.disconnect();
      expect(offsets!.partitions.map((p) => [p.partition, p.offset])).toEqual([[0, '80']]);
    }, 480_000);
  });

  it('a mistake of the user ends learn at start: exit 2 and one line naming the key (a bad config key or value, an unusable log level, a registry with no model)', async () => {
    const file = path.join(dir, 'bad.json');
    const cases: [Record<string, unknown>, NodeJS.ProcessEnv, string[], RegExp][] = [
      [{ training: { versionEvrySteps: 3 } }, {}, [], /^streamtune learn: invalid configuration "training": Unrecognized key: "versionEvrySteps" \(see `streamtune learn --help`\)$/],
      [{ training: { versionEverySteps: 0 } }, {}, [], /^streamtune learn: invalid configuration "training\.versionEverySteps": /],
      [{}, { STREAMTUNE_LOG_LEVEL: 'loud' }, [], /^streamtune learn: invalid configuration "STREAMTUNE_LOG_LEVEL": "loud" is not one of/],
      // Found by the trainer process (it reads the registry): not retried.
      [{ backend }, {}, ['--registry', path.join(dir, 'empty'), '--model', 'm'], /^streamtune learn: trainer failed: model "m" has no version in .*empty: run `streamtune train --model NAME` or `streamtune models create NAME` first$/],
      // registry.mode kafka: `train` writes only its own directory; `models create` publishes to the topic.
      [
        { backend, registry: { mode: 'kafka', topic: `test.learn-supervise.empty-registry.${uniq()}` } },
        {},
        ['--registry', path.join(dir, 'empty-too'), '--model', 'm'],
        /^streamtune learn: trainer failed: model "m" has no version on the registry topic test\.learn-supervise\.empty-registry\.\S+: create one with `streamtune models create NAME --input … --labels …` \(registry\.mode kafka, same topic\), which publishes it there$/,
      ],
    ];
    for (const [config, env, flags, expected] of cases) {
      await fs.writeFile(file, JSON.stringify({ ...config, kafka: { brokers, labelsTopic: `test.learn-supervise.bad.${uniq()}` }, metrics: { port: 0 } }));
      const { child, lines } = runCli(['learn', '--config', file, ...flags], env);
      cleanup.push(async () => child.kill('SIGKILL'));
      const code = await exitOf(child);
      // Output ends when the streams close, a little after the exit.
      await waitFor('the output to end', () => child.stderr!.closed && child.stdout!.closed, 10_000);
      expect({ code, lines: lines.filter(Boolean) }).toEqual({ code: 2, lines: [expect.stringMatching(expected)] });
    }
  }, 300_000);
});
