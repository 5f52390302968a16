import type { Admin, Kafka } from 'kafkajs';
import type { Gauge } from 'prom-client';

export interface ConsumerLagMonitorOptions {
  topic: string;
  groupId: string;
  /** How often the broker is asked. @defaultValue 5000 */
  intervalMs?: number;
  /** Called when a poll fails (topic not created yet, broker away); the next poll tries again. */
  onError?(err: Error): void;
}

/**
 * Consumer lag from the broker's point of view, per partition: the topic's end
 * offset minus the trainer group's committed offset (or minus the log start when
 * the group has committed nothing). Polled by the server through the Kafka admin
 * API, so it is right even when the trainer is dead — the case lag alerts are for.
 *
 * @example
 * const lag = new ConsumerLagMonitor(kafka, metrics.consumerLag, { topic: 'streamtune.labels', groupId: 'streamtune-trainer' });
 * await lag.start();
 */
export class ConsumerLagMonitor {
  private admin: Admin | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly gauge: Gauge<'topic' | 'partition'>,
    private readonly opts: ConsumerLagMonitorOptions,
  ) {}

  /** Polls now and then every interval; never throws (a broker that is away is asked again at the next poll). */
  async start(): Promise<void> {
    this.timer ??= setInterval(() => void this.poll(), this.opts.intervalMs ?? 5000);
    this.timer.unref();
    await this.poll();
  }

  /** One measurement now (polls never overlap). */
  poll(): Promise<void> {
    this.polling ??= this.measure()
      .catch((err: unknown) => this.opts.onError?.(err as Error))
      .finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async measure(): Promise<void> {
    if (this.closing) return;
    if (!this.admin) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    const admin = this.admin;
    const { topic, groupId } = this.opts;
    const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
    const done = new Map((committed.find((c) => c.topic === topic)?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
    for (const p of ends) {
      const c = done.get(p.partition) ?? -1n;
      const from = c >= 0n ? c : BigInt(p.low);
      const lag = BigInt(p.high) - from;
      this.gauge.set({ topic, partition: String(p.partition) }, Number(lag > 0n ? lag : 0n));
    }
  }

  /** Stops polling and disconnects. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.timer) clearInterval(this.timer);
      await this.polling;
      await this.admin?.disconnect();
    })();
    return this.closing;
  }
}
