/**
 * What the chaos run left behind, counted from the broker and the registry only:
 * the labels topic (what was produced, at which offset), the dead-letter topic
 * (which source offsets were dead-lettered, with which reason), the version
 * lineage from the newest version back to the base (examples learned per step,
 * and the offsets each step covers) and the newest version's dedupe state (the
 * ids its weights learned); with the registry on Kafka, also the version
 * manifests on the registry topic (forks).
 */
import type { Kafka } from 'kafkajs';
import { parseRegistryKey, type VersionMeta, type VersionStore } from '../../src/registry/index.js';
import { DEDUPE_FILTER_FILE, DedupeFilter } from '../../src/training/index.js';

export interface Outcome {
  /** Records in the labels topic (every id once, unless a producer retry wrote one twice). */
  events: number;
  bad_events: number;
  /** Distinct bad records dead-lettered with the reason they deserve. */
  dead_lettered: number;
  /** Valid ids the newest version learned (its dedupe state). */
  learned: number;
  /** Examples the lineage learned beyond the distinct ids it learned. */
  learned_twice: number;
  /** Valid ids the newest version never learned. */
  lost: number;
  /** Lineage steps whose learned count differs from the valid events between their parent's offsets and theirs. */
  lineage_mismatches: number;
  versions: number;
}

interface TopicRecord {
  offset: number;
  key: string;
  headers: Record<string, string>;
}

/** Every record of a one-partition topic, in offset order (values are not kept). */
async function readAll(kafka: Kafka, topic: string): Promise<TopicRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  const high = Number((await admin.fetchTopicOffsets(topic)).find((p) => p.partition === 0)!.high);
  await admin.disconnect();
  const out: TopicRecord[] = [];
  if (high === 0) return out;
  const consumer = kafka.consumer({ groupId: `bench-chaos-read-${topic}-${Date.now()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
        out.push({ offset: Number(message.offset), key: message.key?.toString() ?? '', headers });
        if (Number(message.offset) >= high - 1) resolve();
      },
    });
  });
  await consumer.disconnect();
  return out;
}

/** Counts the outcome; `reasons` maps each bad key to the reason it must be dead-lettered with. */
export async function countOutcome(kafka: Kafka, o: { labelsTopic: string; dlqTopic: string; store: VersionStore; model: string; reasons: Map<string, string> }): Promise<Outcome> {
  const records = await readAll(kafka, o.labelsTopic);
  const good = new Set<string>();
  const firstGood: number[] = [];
  const badAt = new Map<number, string>();
  for (const r of records) {
    if (o.reasons.has(r.key)) badAt.set(r.offset, o.reasons.get(r.key)!);
    else if (!good.has(r.key)) {
      good.add(r.key);
      firstGood.push(r.offset);
    }
  }
  const dead = new Set<number>();
  for (const l of await readAll(kafka, o.dlqTopic)) {
    const offset = Number(l.headers['streamtune-source-offset']);
    if (badAt.get(offset) === l.headers['streamtune-reason']) dead.add(offset);
  }

  const chain: VersionMeta[] = [];
  for (let v = await o.store.newest(o.model); v; ) {
    const meta = await o.store.meta(o.model, v);
    chain.push(meta);
    v = meta.parent;
  }
  const key = `${o.labelsTopic}/0`;
  // Valid first occurrences below an offset, by binary search over their sorted offsets.
  const goodBelow = (offset: number): number => {
    let [lo, hi] = [0, firstGood.length];
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (firstGood[mid]! < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  let mismatches = 0;
  for (let i = 0; i < chain.length - 1; i++) {
    const [v, parent] = [chain[i]!, chain[i + 1]!];
    const span = goodBelow(Number(v.offsets[key] ?? 0)) - goodBelow(Number(parent.offsets[key] ?? 0));
    if (v.examplesSeen - parent.examplesSeen !== span) mismatches++;
  }
  const newest = chain[0]!;
  // The run's dedupe filter holds every id with a false-positive rate of 1e-9: membership is exact here.
  const bytes = await o.store.readExtraBytes(o.model, newest.version, DEDUPE_FILTER_FILE);
  const seen = bytes ? DedupeFilter.fromBytes(Number.MAX_SAFE_INTEGER, 1e-9, bytes) : new DedupeFilter(0, 1e-9);
  const learnedIds = new Set([...good].filter((id) => seen.has(id)));
  const total = newest.examplesSeen - chain.at(-1)!.examplesSeen;
  return {
    events: records.length,
    bad_events: badAt.size,
    dead_lettered: dead.size,
    learned: learnedIds.size,
    learned_twice: Math.max(0, total - learnedIds.size),
    lost: good.size - learnedIds.size,
    lineage_mismatches: mismatches,
    versions: chain.length,
  };
}

/**
 * Version names with two different manifests among the committed records of a
 * registry topic (read committed, as mirrors read it: a fenced trainer's aborted
 * transaction does not count). Manifests are compared by their files, not by
 * when they were published: a version published again with the same bytes is no fork.
 */
export async function countForks(kafka: Kafka, topic: string, timeoutMs = 120_000): Promise<{ forks: string[]; manifests: number }> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = (await admin.fetchTopicOffsets(topic)).filter((p) => Number(p.high) > 0);
  await admin.disconnect();
  const files = new Map<string, Set<string>>();
  let manifests = 0;
  const position = new Map<number, number>();
  const consumer = kafka.consumer({ groupId: `bench-chaos-forks-${topic}-${Date.now()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  // Transaction markers and aborted records never reach eachMessage, but the position moves past them.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => position.set(payload.partition, Number(payload.lastOffset) + 1));
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ message }) => {
      const key = parseRegistryKey(message.key?.toString() ?? '');
      if (key?.kind !== 'manifest' || !message.value) return;
      manifests++;
      const id = `${key.model}@${key.version}`;
      files.set(id, (files.get(id) ?? new Set()).add(JSON.stringify((JSON.parse(message.value.toString()) as { files: unknown }).files)));
    },
  });
  const deadline = Date.now() + timeoutMs;
  try {
    while (!ends.every((e) => (position.get(e.partition) ?? 0) >= Number(e.high))) {
      if (Date.now() > deadline) throw new Error(`${topic} was not read to its end within ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await consumer.disconnect();
  }
  return { forks: [...files].filter(([, f]) => f.size > 1).map(([v]) => v), manifests };
}
