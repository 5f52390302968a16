import type { Admin, Kafka } from 'kafkajs';
import { UpstreamError } from '../core/index.js';

/** Default topic names; overridable in configuration. */
export const DEFAULT_TOPICS = {
  labels: 'streamtune.labels',
  dlq: 'streamtune.dlq',
  models: 'streamtune.models',
} as const;

/** A topic to create when missing. */
export interface TopicSpec {
  topic: string;
  /** @defaultValue 1 */
  numPartitions?: number;
  /** Topic configs; they override the durability defaults of {@link topicReplication}. */
  configEntries?: { name: string; value: string }[];
}

/**
 * How the topics we create are replicated on a cluster of `brokers` brokers:
 * three copies where there are three brokers or more, and an acks=all write
 * counts once two of them have it (`min.insync.replicas` 2), so losing one
 * broker neither loses an acknowledged event nor stops producers. A single
 * broker (development, CI) keeps one copy.
 *
 * @example
 * topicReplication(1); // { replicationFactor: 1, configEntries: [] }
 * topicReplication(5); // { replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }
 */
export function topicReplication(brokers: number): { replicationFactor: number; configEntries: { name: string; value: string }[] } {
  const replicationFactor = Math.max(1, Math.min(3, brokers));
  return { replicationFactor, configEntries: replicationFactor >= 3 ? [{ name: 'min.insync.replicas', value: '2' }] : [] };
}

/**
 * Creates topics that do not exist yet (idempotent), replicated as
 * {@link topicReplication} says for the brokers the cluster has now.
 */
export async function ensureTopics(kafka: Kafka, topics: TopicSpec[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length > 0) {
      const { replicationFactor, configEntries: durability } = topicReplication((await admin.describeCluster()).brokers.length);
      await admin.createTopics({
        // kafkajs' own wait gives up when the broker it asks has not heard of the new
        // topic yet, which happens on a cluster (metadata reaches brokers a little later).
        waitForLeaders: false,
        topics: missing.map((t) => {
          const own = t.configEntries ?? [];
          const configEntries = [...durability.filter((d) => !own.some((o) => o.name === d.name)), ...own];
          return { topic: t.topic, numPartitions: t.numPartitions ?? 1, replicationFactor, configEntries };
        }),
      });
      await waitForLeaders(admin, missing.map((t) => t.topic));
    }
  } finally {
    await admin.disconnect();
  }
}

/** Polls metadata until every partition of `topics` has a leader; unknown topics and missing leaders are retried. */
async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const meta = await admin.fetchTopicMetadata({ topics });
      if (meta.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
    } catch (err) {
      const type = (err as { type?: string }).type;
      if (type !== 'UNKNOWN_TOPIC_OR_PARTITION' && type !== 'LEADER_NOT_AVAILABLE' || Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) throw new UpstreamError(`topics ${topics.join(', ')} have no leader after ${timeoutMs} ms`, { topics: topics.join(',') });
    await new Promise((r) => setTimeout(r, 100));
  }
}
