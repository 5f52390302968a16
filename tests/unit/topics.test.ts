import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { UpstreamError } from '../../src/core/index.js';
import { ensureTopics, topicReplication } from '../../src/ingest/topics.js';

/** A kafkajs stand-in whose admin reports `brokers` brokers and records what it is asked to create. */
function fakeKafka(brokers: number, existing: string[] = [], unknownFor = 0): { kafka: Kafka; created: unknown[]; metadataCalls: () => number } {
  const created: unknown[] = [];
  let calls = 0;
  const admin = {
    // A cluster's brokers learn of a new topic a little after it is created.
    fetchTopicMetadata: async ({ topics }: { topics: string[] }) => {
      if (++calls <= unknownFor) throw Object.assign(new Error('This server does not host this topic-partition'), { type: 'UNKNOWN_TOPIC_OR_PARTITION' });
      return { topics: topics.map((name) => ({ name, partitions: [{ partitionId: 0, leader: 1, replicas: [1], isr: [1] }] })) };
    },
    connect: async () => undefined,
    disconnect: async () => undefined,
    listTopics: async () => existing,
    describeCluster: async () => ({ brokers: Array.from({ length: brokers }, (_, i) => ({ nodeId: i + 1, host: '127.0.0.1', port: 9092 + i })), controller: 1, clusterId: 'c' }),
    createTopics: async (o: { topics: unknown[] }) => void created.push(...o.topics),
  };
  return { kafka: { admin: () => admin } as unknown as Kafka, created, metadataCalls: () => calls };
}

describe('topics the project creates', () => {
  it('are replicated min(3, brokers) times, with min.insync.replicas 2 from three brokers', () => {
    expect(topicReplication(1)).toEqual({ replicationFactor: 1, configEntries: [] });
    expect(topicReplication(2)).toEqual({ replicationFactor: 2, configEntries: [] });
    for (const n of [3, 5]) expect(topicReplication(n)).toEqual({ replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] });
  });

  it('ensureTopics creates only the missing ones, with the cluster replication and the caller’s own configs on top', async () => {
    const { kafka, created } = fakeKafka(3, ['have']);
    await ensureTopics(kafka, [
      { topic: 'have' },
      { topic: 'labels', numPartitions: 4 },
      { topic: 'models', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
      { topic: 'lenient', configEntries: [{ name: 'min.insync.replicas', value: '1' }] },
    ]);
    const isr2 = { name: 'min.insync.replicas', value: '2' };
    expect(created).toEqual([
      { topic: 'labels', numPartitions: 4, replicationFactor: 3, configEntries: [isr2] },
      { topic: 'models', numPartitions: 1, replicationFactor: 3, configEntries: [isr2, { name: 'cleanup.policy', value: 'compact' }] },
      { topic: 'lenient', numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '1' }] },
    ]);
  });

  it('on a single broker keeps one copy and sets no min.insync.replicas', async () => {
    const { kafka, created } = fakeKafka(1);
    await ensureTopics(kafka, [{ topic: 'labels' }]);
    expect(created).toEqual([{ topic: 'labels', numPartitions: 1, replicationFactor: 1, configEntries: [] }]);
  });

  it('waits until the new topics have leaders, retrying while the broker asked has not heard of them', async () => {
    const { kafka, metadataCalls } = fakeKafka(3, [], 2);
    await ensureTopics(kafka, [{ topic: 'labels' }]);
    expect(metadataCalls()).toBe(3);
  });

  it('waits likewise for a topic that exists already (another process created it a moment ago)', async () => {
    const { kafka, created, metadataCalls } = fakeKafka(3, ['labels'], 2);
    await ensureTopics(kafka, [{ topic: 'labels' }]);
    expect(created).toEqual([]);
    expect(metadataCalls()).toBe(3);
  });

  it('gives up after its bound, in one line that names the topic and why', async () => {
    const { kafka } = fakeKafka(3, [], Number.POSITIVE_INFINITY);
    const err = await ensureTopics(kafka, [{ topic: 'labels' }], 300).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as UpstreamError).retriable).toBe(true);
    expect((err as Error).message).toMatch(/^topic\(s\) labels not ready after 300 ms \(the broker asked answers UNKNOWN_TOPIC_OR_PARTITION\)/);
    expect((err as Error).message).not.toMatch(/\n/);
  });
});
