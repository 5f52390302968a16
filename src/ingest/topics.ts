import type { Kafka } from 'kafkajs';

/** Default topic names; overridable in configuration. */
export const DEFAULT_TOPICS = {
  labels: 'streamtune.labels',
  dlq: 'streamtune.dlq',
  models: 'streamtune.models',
} as const;

/**
 * Creates topics that do not exist yet (idempotent). Single-partition,
 * replication 1 suits the local broker; production clusters create their own.
 */
export async function ensureTopics(
  kafka: Kafka,
  topics: { topic: string; numPartitions?: number; configEntries?: { name: string; value: string }[] }[],
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({ topic: t.topic, numPartitions: t.numPartitions ?? 1, replicationFactor: -1, configEntries: t.configEntries })),
      });
    }
  } finally {
    await admin.disconnect();
  }
}
