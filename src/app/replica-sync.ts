import type { Kafka } from 'kafkajs';
import { BrokerError, ClosedError, type Config, type Logger } from '../core/index.js';
import { createKafka } from '../ingest/index.js';
import {
  ensureModelsTopic,
  ModelAnnouncer,
  ModelFollower,
  registryPublisher,
  startRegistryMirror,
  type KafkaRegistryMirror,
  type KafkaRegistryPublisher,
  type ModelAnnouncement,
  type VersionStore,
} from '../registry/index.js';
import type { OperatorChange } from '../serving/index.js';
import type { ServedModels } from './served-models.js';

export interface ReplicaSyncOptions {
  config: Config;
  models: ServedModels;
  store: VersionStore;
  /** A replica's mirror of the registry topic, started and caught up (`registry.mode` kafka); null: none yet. */
  mirror: KafkaRegistryMirror | null;
  /** This server, as the announcements of the changes made on it name it (`host:port`). */
  by: string;
  logger: Logger;
}

const OPERATOR_ACTIONS: readonly string[] = ['pin', 'unpin', 'rollback'] satisfies OperatorChange['type'][];
const num = (v: string | null): number => (v ? Number(v.replace(/^v/, '')) : 0);

/**
 * Keeps one server in step with the other servers of its deployment over the
 * compacted models topic. A replica (`serving.follow`) hot-swaps every announced
 * version, newest wins, and carries out the rollbacks trainers ask for. Every
 * server announces the pins, unpins and rollbacks made on it and applies those
 * made on the others.
 *
 * The fence of operator changes: the server that takes the call saves the new
 * state first (`state.json`; in `registry.mode` kafka also on the registry topic,
 * acknowledged by every in-sync broker), then announces it. A server applies an
 * announcement by reading the state from its registry (the shared directory, or
 * its mirror once that has read the registry topic up to its end of that moment),
 * never from the announcement, as a restart would: it never applies a state older
 * than the one announced, and after the last announcement every server reads the
 * same state. Two operators changing one model at once: the state saved last (the
 * last on the registry topic) wins on every server.
 *
 * @example
 * const sync = new ReplicaSync({ config, models, store, mirror, by: 'host-a:50051', logger });
 * await sync.start(); // a replica; a server that trains calls sync.startInBackground()
 */
export class ReplicaSync {
  private readonly kafka: Kafka;
  private readonly announcer: ModelAnnouncer;
  private readonly publisher: KafkaRegistryPublisher | null;
  private mirror: KafkaRegistryMirror | null;
  /** The mirror this object started (a server that trains in mode kafka), closed with it. */
  private ownMirror: KafkaRegistryMirror | null = null;
  private follower: ModelFollower | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly o: ReplicaSyncOptions) {
    // A server that trains follows operator changes in the background: its client's retries while the
    // broker is away are debug lines (startInBackground says it once); a replica's are warnings.
    this.kafka = createKafka(o.config.kafka, `${o.config.kafka.clientId}-follower`, (l) => (o.config.serving.follow ? o.logger.warn(l) : o.logger.debug(l)));
    this.announcer = new ModelAnnouncer(this.kafka, o.config.kafka.modelsTopic);
    this.publisher = registryPublisher(this.kafka, o.config, o.store);
    this.mirror = o.mirror;
    o.models.share = (change) => this.share(change);
  }

  private log(line: string): void {
    this.o.logger.fn(line);
  }

  /** Follows the models topic from its beginning; resolves once the consumer runs. */
  async start(): Promise<void> {
    const { config } = this.o;
    // Mode kafka, a server that is no replica: its trainer's mirror fills its directory, but only a mirror of its own says when it holds a state announced since.
    if (!this.mirror) this.mirror = this.ownMirror = await startRegistryMirror(this.kafka, config, this.o.store, { log: (l) => this.log(l), models: config.serving.models });
    this.checkOpen();
    await ensureModelsTopic(this.kafka, config.kafka.modelsTopic);
    this.checkOpen();
    const follower = new ModelFollower(this.kafka, config.kafka.modelsTopic, `${config.kafka.groupId}-follower-${this.o.by.replace(/[^\w.-]/g, '-')}-${process.pid}-${Date.now()}`);
    this.follower = follower;
    await follower.start((a) => this.onAnnouncement(a), (l) => this.log(l));
    this.checkOpen();
    const what = config.serving.follow ? 'versions and operator changes' : 'operator changes made on other servers';
    this.log(`following ${config.kafka.modelsTopic} (${what}) for ${config.serving.models.length > 0 ? config.serving.models.join(', ') : 'every model'}`);
  }

  /**
   * {@link start} without holding up serving: a server that trains keeps serving
   * while the broker is away, and tries again after 1 s, 2 s, … 30 s.
   */
  startInBackground(delayMs = 1000): void {
    void this.start().catch(async (err: unknown) => {
      await this.stopFollowing();
      if (this.closing) return;
      const line = `operator changes made on other servers not followed yet (again in ${delayMs / 1000} s): ${(err as Error).message}`;
      if (delayMs === 1000) this.o.logger.warn(line);
      else this.o.logger.debug(line);
      this.retryTimer = setTimeout(() => this.startInBackground(Math.min(delayMs * 2, 30_000)), delayMs);
      this.retryTimer.unref();
    });
  }

  /** Closed while starting in the background: what the attempt started is stopped by its catch. */
  private checkOpen(): void {
    if (this.closing) throw new ClosedError('following the models topic');
  }

  /** Stops following and finishes the announcements under way (idempotent). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearTimeout(this.retryTimer);
      await this.stopFollowing();
      await Promise.allSettled([this.announcer.close(), this.publisher?.close()]);
    })();
    return this.closing;
  }

  private async stopFollowing(): Promise<void> {
    const [follower, mirror] = [this.follower, this.ownMirror];
    [this.follower, this.ownMirror] = [undefined, null];
    if (mirror === this.mirror) this.mirror = this.o.mirror;
    await Promise.allSettled([follower?.close(), mirror?.close()]);
  }

  /** A pin, unpin or rollback made here, once saved: the state goes on the registry topic (mode kafka), then the announcement. */
  private async share(c: OperatorChange): Promise<void> {
    try {
      await this.publisher?.publishState(c.model, c.state);
      const at = new Date().toISOString();
      await this.announcer.announce({ model: c.model, version: c.version, artifact: `${c.model}/versions/${c.version}`, parent: null, metrics: {}, createdAt: at, action: c.type, reason: c.reason, by: this.o.by });
    } catch (err) {
      throw new BrokerError(
        `the ${c.type} of ${c.model} holds on this server but was not announced to the other replicas: ${(err as Error).message}`,
        { model: c.model, topic: this.o.config.kafka.modelsTopic },
        err,
      );
    }
  }

  private async onAnnouncement(a: ModelAnnouncement): Promise<void> {
    const { models, config } = this.o;
    if (!models.wants(a.model)) return;
    if (a.by) return this.applyChange(a);
    // A server that trains hears of its versions and rollbacks from its trainer.
    if (!config.serving.follow) return;
    if (this.mirror) await this.mirror.waitForVersion(a.model, a.version).catch((err: unknown) => this.log(`${a.model}@${a.version}: ${(err as Error).message}`));
    const m = await models.addModel(a.model, { waitForVersion: true }).catch(() => undefined);
    if (!m) return;
    if (a.action === 'rollback') {
      // Every replica carries out a trainer's request itself: nothing to announce.
      if (a.version !== m.holder.version) await m.control.rollback(a.reason ?? 'announced rollback', a.version, { share: false }).catch(() => undefined);
      return;
    }
    if (num(a.version) <= num(m.holder.version)) return;
    await m.control.offer(a.version).catch(() => undefined);
  }

  /** An operator's change made on a server (maybe this one): serve what the registry's state says now. */
  private async applyChange(a: ModelAnnouncement): Promise<void> {
    const { models, store } = this.o;
    if (!OPERATOR_ACTIONS.includes(a.action ?? '')) throw new Error(`action "${a.action}" is not an operator change`);
    // A model served later reads its state when it is added.
    if (!models.fleet.has(a.model)) return;
    await this.mirror?.sync();
    const state = await store.readState(a.model);
    const type = a.action as OperatorChange['type'];
    const r = await models.fleet.get(a.model).control.applyState(state, type, `${type} on ${a.by}${a.reason ? `: ${a.reason}` : ''}`);
    if (r.version !== r.previous) this.log(`${a.model}: ${type} on ${a.by} applied: serving ${r.version} (was ${r.previous || 'nothing'})${state.pinned ? `, pinned` : ''}`);
  }
}
