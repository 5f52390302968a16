import type { Consumer, Kafka } from 'kafkajs';
import { labelRequestSchema, type LabelRequest } from './label-request.js';

export interface LabellingQueueOptions {
  topic: string;
  /** Every labelling server of a deployment joins this group, so no two get the same request. */
  groupId: string;
  /** Requests held in memory for the page; the consumer waits while it is full. @defaultValue 50 */
  maxBuffered?: number;
  /** How long a labeller keeps an item before it is offered to another. @defaultValue 300000 */
  leaseMs?: number;
  now?: () => number;
}

/**
 * Label requests from Kafka, handed to labellers one at a time: an item shown
 * to one labeller is leased to them and offered to nobody else until the lease
 * ends (a closed tab) or the item is labelled or skipped. Across servers, the
 * consumer group splits partitions, so several labellers never get the same item.
 * Offsets are committed as requests enter the buffer: a crash loses at most the
 * buffered requests, which is cheaper than labelling them twice.
 */
export class LabellingQueue {
  private readonly o: Required<LabellingQueueOptions>;
  private readonly items = new Map<string, { req: LabelRequest; leasedBy?: string; until: number }>();
  private readonly consumer: Consumer;
  private waiters: (() => void)[] = [];
  private closed = false;
  /** Requests that failed the schema (skipped). */
  invalid = 0;

  constructor(kafka: Kafka, opts: LabellingQueueOptions) {
    this.o = { maxBuffered: 50, leaseMs: 300_000, now: Date.now, ...opts };
    this.consumer = kafka.consumer({ groupId: this.o.groupId });
  }

  /** Partitions this queue holds after the group's last rebalance (none until it has joined). */
  assigned = 0;

  async start(): Promise<void> {
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      this.assigned = Object.values(e.payload.memberAssignment).reduce((n, parts) => n + parts.length, 0);
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.o.topic, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ message }) => {
        while (!this.closed && this.items.size >= this.o.maxBuffered) await new Promise<void>((r) => this.waiters.push(r));
        const parsed = labelRequestSchema.safeParse(safeJson(message.value?.toString('utf8')));
        if (!parsed.success) {
          this.invalid++;
          return;
        }
        if (!this.items.has(parsed.data.id)) this.items.set(parsed.data.id, { req: parsed.data, until: 0 });
      },
    });
  }

  /** The labeller's current item, else the oldest free one, leased to them; null when none is waiting. */
  next(labeller: string): LabelRequest | null {
    const now = this.o.now();
    for (const it of this.items.values()) if (it.leasedBy === labeller && it.until > now) return it.req;
    for (const it of this.items.values()) {
      if (!it.leasedBy || it.until <= now) {
        it.leasedBy = labeller;
        it.until = now + this.o.leaseMs;
        return it.req;
      }
    }
    return null;
  }

  /** The pending item with this id, left in place. */
  peek(id: string): LabelRequest | undefined {
    return this.items.get(id)?.req;
  }

  /** Removes a labelled or skipped item; returns it, or undefined when it is not (or no longer) here. */
  take(id: string): LabelRequest | undefined {
    const it = this.items.get(id);
    if (!it) return undefined;
    this.items.delete(id);
    for (const w of this.waiters.splice(0)) w();
    return it.req;
  }

  /** Puts back an item whose label could not be sent, free for any labeller. */
  restore(req: LabelRequest): void {
    this.items.set(req.id, { req, until: 0 });
  }

  get pending(): number {
    return this.items.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w();
    await this.consumer.disconnect();
  }
}

function safeJson(s: string | undefined): unknown {
  try {
    return s === undefined ? undefined : JSON.parse(s);
  } catch {
    return undefined;
  }
}
