/**
 * The fence between feedback joiners: a `streamtune join` paused (SIGSTOP) past its
 * consumer group's session timeout while a second joiner takes over, then resumed
 * (SIGCONT). The paused one still holds labels waiting for their predictions; when
 * the predictions come, both know them, yet only the joiner holding the transactional
 * id may write: every label is joined exactly once (lost 0, twice 0), read as the
 * trainer reads the labels topic (read_committed). Refused, the resumed one stands by
 * instead of fencing its successor back.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createKafka, ensureTopics } from '../../src/ingest/index.js';
import { alive, runCli } from '../helpers/processes.js';
import { uniq, waitFor } from '../helpers/wait-for.js';

const brokers = inject('kafkaBrokers').split(',');
const found = (lines: string[], re: RegExp): string | undefined => lines.map((l) => re.exec(l)?.[1]).find(Boolean);

describe('a joiner paused past its session timeout is fenced', () => {
  const id = uniq();
  const topics = { labels: `test.zj.labels.${id}`, dlq: `test.zj.dlq.${id}`, predictions: `test.zj.predictions.${id}`, state: `test.zj.state.${id}` };
  const kafka = createKafka(brokers, 'streamtune-zombie-joiner-test');
  const producer = kafka.producer();
  const cleanup: (() => Promise<unknown>)[] = [];
  const labelsSeen: KafkaMessage[] = [];
  let configFile: string;
  let readTo = 0;

  type Joiner = { child: ReturnType<typeof runCli>['child']; lines: string[]; metricsUrl: string };
  const startJoiner = async (): Promise<Joiner> => {
    const { child, lines } = runCli(['join', '--config', configFile]);
    cleanup.push(async () => {
      if (child.pid && alive(child.pid)) process.kill(child.pid, 'SIGCONT');
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    await waitFor('the joiner to start', () => lines.some((l) => l.includes('joiner_up')), 180_000);
    return { child, lines, metricsUrl: found(lines, /feedback metrics on (http:\S+?)"/)! };
  };
  const metric = async (j: Joiner, name: string): Promise<number> => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(await (await fetch(j.metricsUrl)).text())?.[1] ?? NaN);

  const predictions = (ids: string[]): Promise<unknown> =>
    producer.send({
      topic: topics.predictions,
      acks: -1,
      messages: ids.map((p, i) => ({ key: p, value: JSON.stringify({ id: p, model: 'm', version: 'v1', input: { features: [i, 1, 0] }, output: { label: 'p', confidence: 0.9 }, ts: Date.now() }) })),
    });
  const labels = (ids: string[]): Promise<unknown> =>
    producer.send({
      topic: topics.labels,
      acks: -1,
      messages: ids.map((p, i) => ({ key: p, value: JSON.stringify({ id: `fb-${p}`, model: 'm', prediction_id: p, label: i % 2 ? 'p' : 'q', ts: Date.now() }) })),
    });
  /** How many times each prediction id was joined onto the labels topic (committed records only). */
  const joinCounts = (): Map<string, number> => {
    const counts = new Map<string, number>();
    for (const m of labelsSeen) {
      const e = JSON.parse(m.value!.toString()) as { id: string; input?: unknown };
      if (e.input !== undefined) counts.set(e.id, (counts.get(e.id) ?? 0) + 1);
    }
    return counts;
  };

  beforeAll(async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-zombie-joiner-'));
    cleanup.push(() => fs.rm(dir, { recursive: true, force: true }));
    await ensureTopics(kafka, [{ topic: topics.labels }, { topic: topics.dlq }, { topic: topics.predictions }]);
    configFile = path.join(dir, 'config.json');
    await fs.writeFile(
      configFile,
      JSON.stringify({
        model: 'm',
        registryDir: dir,
        kafka: { brokers, labelsTopic: topics.labels, dlqTopic: topics.dlq },
        metrics: { port: 0 },
        feedback: { log: { topic: topics.predictions }, stateTopic: topics.state, groupId: `zj-${id}`, sweepIntervalMs: 500, metricsPort: 0 },
      }),
    );
    await producer.connect();
    cleanup.push(() => producer.disconnect());
    // As a trainer reads the labels topic: committed records only (kafkajs consumers are read_committed by default).
    const consumer = kafka.consumer({ groupId: `zj-reader-${uniq()}`, readUncommitted: false });
    await consumer.connect();
    await consumer.subscribe({ topic: topics.labels, fromBeginning: true });
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => void (readTo = Math.max(readTo, Number(payload.lastOffset) + 1)));
    await consumer.run({ eachMessage: async ({ message }) => void labelsSeen.push(message) });
    cleanup.push(() => consumer.disconnect());
  }, 240_000);

  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  });

  it('resumed, it cannot join a label the joiner that took over joined: every label joined once', async () => {
    const early = Array.from({ length: 20 }, (_, i) => `q${i}-${id}`);
    const late = Array.from({ length: 20 }, (_, i) => `r${i}-${id}`);
    const zombie = await startJoiner();
    // Labels that come before their predictions: the first joiner keeps them waiting (in memory and in the state topic).
    await labels(early);
    await waitFor('the first joiner to hold 20 labels waiting', async () => (await metric(zombie, 'streamtune_feedback_pending_labels')) === 20, 180_000);

    process.kill(zombie.child.pid!, 'SIGSTOP');
    // The second joiner fences the first (its transactional id), rebuilds the waiting labels from the state topic,
    // takes the labels partition once the paused one's session (10 s) has timed out, and joins them when the predictions come.
    const successor = await startJoiner();
    await waitFor('the second joiner to hold the 20 waiting labels', async () => (await metric(successor, 'streamtune_feedback_pending_labels')) === 20, 180_000);
    await predictions(early);
    await waitFor('the 20 early labels joined', () => early.every((p) => joinCounts().has(p)), 180_000);

    // Resumed, the first joiner reads the same predictions and would join its 20 waiting labels again: its writes are refused.
    const before = zombie.lines.length;
    process.kill(zombie.child.pid!, 'SIGCONT');
    await waitFor('the resumed joiner to be refused and stand by', () => zombie.lines.slice(before).some((l) => l.includes('joiner_standby')), 180_000);
    expect(zombie.lines.slice(before).join('\n')).toMatch(/feedback joiner stopped: .*epoch/i);
    const successorLines = successor.lines.length;

    // Feedback goes on with both processes alive: predictions first this time, then their labels.
    await predictions(late);
    await labels(late);
    await waitFor('the 20 late labels joined', () => late.every((p) => joinCounts().has(p)), 240_000);

    // Everything written to the labels topic so far, read (one partition).
    const admin = kafka.admin();
    await admin.connect();
    const [end] = await admin.fetchTopicOffsets(topics.labels);
    await admin.disconnect();
    await waitFor('the labels topic read to its end', () => readTo >= Number(end!.high), 120_000);
    const counts = joinCounts();
    const all = [...early, ...late];
    const lost = all.filter((p) => !counts.has(p));
    const twice = all.filter((p) => (counts.get(p) ?? 0) > 1);
    expect({ lost, twice }).toEqual({ lost: [], twice: [] });
    expect([...counts.keys()].sort()).toEqual([...all].sort());
    // The resumed joiner never fenced the successor back (a broker error of the successor's own, e.g.
    // CONCURRENT_TRANSACTIONS on a loaded broker, restarts it, which is not what this is about).
    expect(successor.lines.slice(successorLines).filter((l) => /feedback joiner stopped: .*epoch/i.test(l))).toEqual([]);
    expect(zombie.lines.slice(before).filter((l) => l.includes('joiner_up'))).toEqual([]);
  }, 900_000);
});
