import type { Consumer, Kafka } from 'kafkajs';
import { LazyProducer } from '../ingest/lazy-producer.js';
import { ensureTopics } from '../ingest/topics.js';

/**
 * What the compacted models topic carries about a model: a promoted version
 * (key `<model>`), a trainer's request to roll back (key `<model>`), or an
 * operator's change of the model's state made on one server (key
 * `<model>/operator`, so compaction keeps the newest promotion and the newest
 * operator change of each model).
 */
export interface ModelAnnouncement {
  model: string;
  version: string;
  /** Where the version lives, relative to the shared registry directory. */
  artifact: string;
  parent: string | null;
  metrics: Record<string, number>;
  createdAt: string;
  /**
   * `promote` (default): serve this version. `rollback` without `by`: a trainer's
   * guardrail saw the serving version degrade, go back to this one. `pin`, `unpin`,
   * `rollback` with `by`: an operator changed the model's state (`version` is what
   * that server serves since).
   */
  action?: 'promote' | 'rollback' | 'pin' | 'unpin';
  reason?: string;
  /** The server that took an operator's call (`host:port`); set on operator changes only. Servers read the new state from their registry. */
  by?: string;
}

/** Operator changes are keyed apart from promotions: compaction keeps the newest of each. */
export const announcementKey = (a: ModelAnnouncement): string => (a.by ? `${a.model}/operator` : a.model);

/** The models topic keeps only the newest announcement per model. */
export async function ensureModelsTopic(kafka: Kafka, topic: string): Promise<void> {
  await ensureTopics(kafka, [{ topic, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }]);
}

/** Announces promoted versions and operator changes so every serving replica applies them. */
export class ModelAnnouncer {
  private readonly producer: LazyProducer;

  constructor(
    kafka: Kafka,
    readonly topic: string,
  ) {
    this.producer = new LazyProducer(kafka);
  }

  announce(a: ModelAnnouncement): Promise<void> {
    return this.producer.send(this.topic, [{ key: announcementKey(a), value: JSON.stringify(a) }]);
  }

  /** Withdraws a deleted model's announcements, its promotion's and its operator change's (tombstones): replicas starting later never learn of it. */
  withdraw(model: string): Promise<void> {
    return this.producer.send(this.topic, [model, `${model}/operator`].map((key) => ({ key, value: null })));
  }

  close(): Promise<void> {
    return this.producer.close();
  }
}

/**
 * Follows the models topic from its beginning (each replica in a group of its
 * own, so every replica sees every announcement) and hands each one over.
 */
export class ModelFollower {
  private readonly consumer: Consumer;
  private closing: Promise<void> | undefined;

  constructor(
    kafka: Kafka,
    readonly topic: string,
    groupId: string,
  ) {
    this.consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  }

  async start(onAnnouncement: (a: ModelAnnouncement) => void | Promise<void>, log: (line: string) => void = () => undefined): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        if (!message.value) return;
        try {
          await onAnnouncement(JSON.parse(message.value.toString()) as ModelAnnouncement);
        } catch (err) {
          log(`model announcement at offset ${message.offset} ignored: ${(err as Error).message}`);
        }
      },
    });
  }

  close(): Promise<void> {
    this.closing ??= this.consumer.disconnect();
    return this.closing;
  }
}
