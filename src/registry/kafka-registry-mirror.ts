import * as os from 'node:os';
import type { Consumer, Kafka } from 'kafkajs';
import { ClosedError, DeadlineExceededError, SerialQueue, type RegistryConfig, type RetentionConfig } from '../core/index.js';
import { ensureRegistryTopic } from './kafka-registry-publisher.js';
import { RegistryAssembler, type RegistryAssemblerOptions } from './registry-assembler.js';
import type { VersionStore } from './version-store.js';

export interface KafkaRegistryMirrorOptions extends RegistryAssemblerOptions {
  kafka: Kafka;
  /** The compacted registry topic (created when missing). */
  topic: string;
  /**
   * Consumer group of this mirror alone; nothing is ever committed, every start reads the topic from its beginning.
   * @defaultValue `streamtune-registry-mirror-<host>-<pid>-<ms>`
   */
  groupId?: string;
  /**
   * The `registry.retention` section: once caught up at start, local versions the
   * topic no longer holds (their tombstones were compacted away while this mirror
   * was not running) are removed when the rule drops them. Absent: they stay.
   */
  retention?: RetentionConfig;
}

/**
 * Mirrors a registry published on a compacted Kafka topic
 * ({@link KafkaRegistryPublisher}) into a local {@link VersionStore}, so a
 * machine with an empty disk gets every version from the cluster alone. Reads
 * the topic from its beginning on every start and hands each record to a
 * {@link RegistryAssembler}: a version is written (temporary directory, then
 * rename) once complete and verified; versions the store has are skipped;
 * incomplete or corrupt ones are not written, and a log line says why.
 * Deletions follow the topic's tombstones ({@link RegistryAssembler}).
 *
 * @example
 * const mirror = new KafkaRegistryMirror({ kafka, topic: 'streamtune.registry', store, onVersion: (m, v) => console.log(m, v) });
 * await mirror.start();
 * await mirror.caughtUp(); // every version published before start is in `store`
 */
export class KafkaRegistryMirror {
  readonly assembler: RegistryAssembler;
  private readonly consumer: Consumer;
  private readonly waiters = new Map<string, { done: (present: boolean) => void; fail: (err: Error) => void }[]>();
  /** Next offset to read per partition. */
  private readonly read = new Map<number, number>();
  /** Points to reach: end offsets per partition, and who waits for them. */
  private targets: { ends: Map<number, number>; reached: () => void; failed: (err: Error) => void }[] = [];
  private readonly caught: Promise<void>;
  private failCaughtUp!: (err: Error) => void;
  private started = false;
  private closing: Promise<void> | undefined;
  /** The assembler's work (records, the pruning after the first catch-up), one piece at a time. */
  private readonly work = new SerialQueue('the registry mirror');

  constructor(private readonly o: KafkaRegistryMirrorOptions) {
    this.assembler = new RegistryAssembler({
      ...o,
      onVersion: async (model, version) => {
        this.settle(`${model}/${version}`, true);
        await o.onVersion?.(model, version);
      },
      onRemoved: async (model, version) => {
        for (const id of [...this.waiters.keys()]) if (version ? id === `${model}/${version}` : id.startsWith(`${model}/`)) this.settle(id, false);
        await o.onRemoved?.(model, version);
      },
    });
    this.consumer = o.kafka.consumer({ groupId: o.groupId ?? `streamtune-registry-mirror-${os.hostname()}-${process.pid}-${Date.now()}`, maxWaitTimeInMs: 100 });
    this.caught = new Promise<void>((resolve, reject) => {
      this.failCaughtUp = reject;
      this.targets.push({
        ends: new Map(),
        reached: () => {
          this.assembler.reportIncomplete(`after reading ${this.o.topic} to its end`);
          const retention = this.o.retention;
          if (!retention) return resolve();
          void this.work.run(() => this.assembler.pruneUnlisted(retention)).then(resolve, reject);
        },
        failed: reject,
      });
    });
    this.caught.catch(() => undefined);
  }

  get topic(): string {
    return this.o.topic;
  }

  /** Connects and starts reading the topic from its beginning; see {@link caughtUp}. */
  async start(): Promise<void> {
    try {
      await ensureRegistryTopic(this.o.kafka, this.o.topic);
      for (const [p, end] of await this.endOffsets()) this.targets[0]!.ends.set(p, end);
      this.started = true;
      await this.consumer.connect();
      await this.consumer.subscribe({ topic: this.o.topic, fromBeginning: true });
      // Transaction markers and aborted records are never handed to eachMessage, but the position moves past them.
      this.consumer.on(this.consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        const next = Number(payload.lastOffset) + 1;
        if (next > (this.read.get(payload.partition) ?? 0)) this.read.set(payload.partition, next);
        this.checkTargets();
      });
      await this.consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          await this.work.run(() => this.assembler.add(message.key?.toString() ?? null, message.value, `at offset ${message.offset} of ${this.o.topic}/${partition}`));
          this.read.set(partition, Number(message.offset) + 1);
          this.checkTargets();
        },
      });
      this.checkTargets();
    } catch (err) {
      this.failCaughtUp(err as Error);
      throw err;
    }
  }

  /** Resolves once every record on the topic when {@link start} was called has been read (and its versions written). */
  caughtUp(): Promise<void> {
    return this.caught;
  }

  /**
   * Resolves once every record on the topic now has been read (and its versions
   * written): a standby trainer taking over awaits it so it restores the newest
   * version the cluster has, not one its mirror has yet to read.
   */
  async sync(): Promise<void> {
    if (!this.started) throw new ClosedError('the registry mirror (not started)');
    if (this.closing) throw new ClosedError('the registry mirror');
    const ends = await this.endOffsets();
    await new Promise<void>((reached, failed) => {
      this.targets.push({ ends, reached, failed });
      this.checkTargets();
    });
  }

  /**
   * Resolves true once `model@version` is in the local store (at once if it is
   * already), false as soon as it is known never to come: removed from the topic
   * (registry.retention, `models delete`), or missing from it below a newer
   * version of the model. A serving replica awaits it before loading an
   * announced version.
   */
  async waitForVersion(model: string, version: string, timeoutMs = 60_000): Promise<boolean> {
    if (await this.assembler.has(model, version)) return true;
    if (this.assembler.gone(model, version)) return false;
    if (this.closing) throw new ClosedError('the registry mirror');
    const id = `${model}/${version}`;
    return new Promise<boolean>((resolve, reject) => {
      const done = (present: boolean): void => {
        clearTimeout(timer);
        resolve(present);
      };
      const fail = (err: Error): void => {
        clearTimeout(timer);
        this.waiters.set(id, (this.waiters.get(id) ?? []).filter((w) => w.done !== done));
        reject(err);
      };
      const timer = setTimeout(() => fail(new DeadlineExceededError(`${model}@${version} did not arrive on ${this.o.topic} within ${timeoutMs} ms`, { model, version, topic: this.o.topic })), timeoutMs);
      this.waiters.set(id, [...(this.waiters.get(id) ?? []), { done, fail }]);
      // It may have been written (or removed) while this call looked.
      void this.assembler.has(model, version).then((h) => (h ? done(true) : this.assembler.gone(model, version) && done(false)), fail);
    });
  }

  /** Stops reading (idempotent; concurrent calls share one promise). */
  close(): Promise<void> {
    if (!this.closing) {
      for (const t of this.targets) t.failed(new ClosedError('the registry mirror'));
      this.targets = [];
      for (const w of [...this.waiters.values()].flat()) w.fail(new ClosedError('the registry mirror'));
      this.waiters.clear();
      this.closing = this.consumer.disconnect();
    }
    return this.closing;
  }

  private settle(id: string, present: boolean): void {
    for (const w of this.waiters.get(id) ?? []) w.done(present);
    this.waiters.delete(id);
  }

  /** End offsets of the partitions that hold records (a compacted topic's last record is never removed). */
  private async endOffsets(): Promise<Map<number, number>> {
    const admin = this.o.kafka.admin();
    await admin.connect();
    try {
      const ends = new Map<number, number>();
      for (const p of await admin.fetchTopicOffsets(this.o.topic)) if (Number(p.high) > Number(p.low)) ends.set(p.partition, Number(p.high));
      return ends;
    } finally {
      await admin.disconnect();
    }
  }

  private checkTargets(): void {
    if (!this.started) return;
    const reached = this.targets.filter((t) => [...t.ends].every(([p, end]) => (this.read.get(p) ?? 0) >= end));
    if (reached.length === 0) return;
    this.targets = this.targets.filter((t) => !reached.includes(t));
    for (const t of reached) t.reached();
  }
}

/**
 * The mirror a process needs when `registry.mode` is `kafka`: the versions of
 * every model (or of `hooks.models` when given and not empty), started and caught
 * up, so `store` holds every version the cluster has; null in mode `dir`.
 *
 * @example
 * const mirror = await startRegistryMirror(kafka, config, store, { log });
 * // … on close: await mirror?.close();
 */
export async function startRegistryMirror(
  kafka: Kafka,
  config: { registry: Pick<RegistryConfig, 'mode' | 'topic'> & Partial<RegistryConfig> },
  store: VersionStore,
  hooks: Pick<KafkaRegistryMirrorOptions, 'onVersion' | 'onState' | 'onRemoved' | 'log' | 'groupId' | 'models'> = {},
): Promise<KafkaRegistryMirror | null> {
  if (config.registry.mode !== 'kafka') return null;
  const { models, ...rest } = hooks;
  const { topic, retention } = config.registry;
  const mirror = new KafkaRegistryMirror({ kafka, topic, store, ...(retention ? { retention } : {}), ...(models && models.length > 0 ? { models } : {}), ...rest });
  try {
    await mirror.start();
    await mirror.caughtUp();
  } catch (err) {
    await mirror.close().catch(() => undefined);
    throw err;
  }
  return mirror;
}
