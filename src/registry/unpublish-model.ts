import * as os from 'node:os';
import type { Kafka } from 'kafkajs';
import { DeadlineExceededError } from '../core/index.js';
import { LazyProducer } from '../ingest/lazy-producer.js';
import { ensureRegistryTopic } from './kafka-registry-publisher.js';
import { parseRegistryKey, stateKey } from './registry-records.js';

/** Rounds of read-then-tombstone at most: a checkpoint committed while a round ran is caught by the next. */
const ROUNDS = 3;
/** Longest a read of the topic to its end may take. */
const READ_TIMEOUT_MS = 120_000;

/**
 * Deletes a model from the registry topic: a tombstone for its state key first
 * (every mirror removes the model on reading it, and from then on ignores
 * checkpoints of it), then for the manifest and every chunk of each version the
 * topic holds, so compaction frees them all. The topic is read to its end again
 * after each round, and what a trainer committed meanwhile is tombstoned too.
 * Returns the number of tombstones written and the versions deleted.
 *
 * @example
 * const { versions } = await unpublishModel(kafka, 'streamtune.registry', 'churn');
 */
export async function unpublishModel(kafka: Kafka, topic: string, model: string): Promise<{ tombstones: number; versions: string[] }> {
  await ensureRegistryTopic(kafka, topic);
  const producer = new LazyProducer(kafka);
  const versions = new Set<string>();
  let tombstones = 0;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const live = await liveKeys(kafka, topic, model);
      if (round > 0 && live.length === 0) break;
      const parsed = live.map((key) => ({ key, k: parseRegistryKey(key) }));
      for (const { k } of parsed) if (k && k.kind !== 'state') versions.add(k.version);
      // The state first (the model goes at once everywhere), then manifests (each version goes whole), then chunks.
      const rank = (kind: string | undefined): number => (kind === 'state' ? 0 : kind === 'manifest' ? 1 : 2);
      const keys = [...new Set([...(round === 0 ? [stateKey(model)] : []), ...parsed.sort((a, b) => rank(a.k?.kind) - rank(b.k?.kind)).map((p) => p.key)])];
      for (let at = 0; at < keys.length; at += 500) await producer.send(topic, keys.slice(at, at + 500).map((key) => ({ key, value: null })));
      tombstones += keys.length;
    }
  } finally {
    await producer.close();
  }
  return { tombstones, versions: [...versions].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1))) };
}

/** Keys of `model` whose newest record on the topic (read committed, to its end now) is not a tombstone. */
async function liveKeys(kafka: Kafka, topic: string, model: string): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<number, number>();
  try {
    for (const p of await admin.fetchTopicOffsets(topic)) if (Number(p.high) > Number(p.low)) ends.set(p.partition, Number(p.high));
  } finally {
    await admin.disconnect();
  }
  const live = new Map<string, boolean>();
  if (ends.size === 0) return [];
  const consumer = kafka.consumer({ groupId: `streamtune-registry-reader-${os.hostname()}-${process.pid}-${Date.now()}`, maxWaitTimeInMs: 100 });
  const read = new Map<number, number>();
  let done!: () => void;
  let timer: NodeJS.Timeout | undefined;
  const reached = new Promise<void>((resolve, reject) => {
    done = resolve;
    timer = setTimeout(() => reject(new DeadlineExceededError(`reading ${topic} to its end took more than ${READ_TIMEOUT_MS} ms`, { topic })), READ_TIMEOUT_MS);
  });
  const check = (): void => {
    if ([...ends].every(([p, end]) => (read.get(p) ?? 0) >= end)) done();
  };
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    // Transaction markers are never handed to eachMessage, but the position moves past them.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      read.set(payload.partition, Math.max(read.get(payload.partition) ?? 0, Number(payload.lastOffset) + 1));
      check();
    });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const key = message.key?.toString() ?? '';
        if (key.startsWith(`${model}/`)) live.set(key, message.value !== null);
        read.set(partition, Number(message.offset) + 1);
        check();
      },
    });
    await reached;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
  return [...live].filter(([, isLive]) => isLive).map(([key]) => key);
}
