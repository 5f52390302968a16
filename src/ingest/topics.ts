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
 * {@link topicReplication} says for the brokers the cluster has now, then waits
 * until every partition of every one of them (those that existed too: another
 * process may have created one a moment ago) has a leader, so that the first
 * write or read does not meet UNKNOWN_TOPIC_OR_PARTITION. Gives up after
 * `timeoutMs` with a retriable {@link UpstreamError} that says which topic lacks what.
 */
export async function ensureTopics(kafka: Kafka, topics: TopicSpec[], timeoutMs = TOPIC_READY_MS): Promise<void> {
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
    }
    await waitForLeaders(admin, topics.map((t) => t.topic), timeoutMs);
  } finally {
    await admin.disconnect();
  }
}

/** How long {@link ensureTopics} waits for a topic's partitions to have leaders. */
export const TOPIC_READY_MS = 30_000;

/** Metadata errors of a topic the brokers are still creating (or electing leaders for). */
export const TOPIC_NOT_READY = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE']);

/** Polls metadata until every partition of `topics` has a leader; unknown topics and missing leaders are retried. */
async function waitForLeaders(admin: Admin, topics: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let why = 'no answer yet'; ; await new Promise((r) => setTimeout(r, 100))) {
    try {
      const meta = await admin.fetchTopicMetadata({ topics });
      const lacking = meta.topics.find((t) => t.partitions.length === 0 || t.partitions.some((p) => p.leader < 0));
      if (!lacking) return;
      const leaderless = lacking.partitions.filter((p) => p.leader < 0).map((p) => p.partitionId);
      why = lacking.partitions.length === 0 ? `topic ${lacking.name} has no partitions yet` : `partition(s) ${leaderless.join(', ')} of ${lacking.name} have no leader`;
    } catch (err) {
      const type = (err as { type?: string }).type ?? '';
      if (!TOPIC_NOT_READY.has(type)) throw err;
      why = `the broker asked answers ${type}`;
    }
    if (Date.now() > deadline) {
      throw new UpstreamError(`topic(s) ${topics.join(', ')} not ready after ${timeoutMs} ms (${why}): are the brokers still creating them, or is one down?`, { topics: topics.join(',') });
    }
  }
}
