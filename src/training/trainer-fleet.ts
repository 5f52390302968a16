import { ModelNotFoundError } from '../core/index.js';
import type { BadRecord, DecodedRecord } from '../features/index.js';
import { tpKey, type RawRecord } from '../ingest/index.js';
import { CheckpointRounds } from './checkpoint-rounds.js';
import { CommitFloor } from './commit-floor.js';
import { FleetCommits } from './fleet-commits.js';
import { GroupAssignment } from './group-assignment.js';
import { deadLetter, routeRecord } from './route-record.js';
import { openMember, restoreNewest, type Member, type TrainerFleetOptions } from './fleet-member.js';
import { rejectedStats } from './trainer-stats.js';
import type { OnlineTrainer } from './online-trainer.js';

/** How long a model whose newest version failed to load is not tried again. */
const BROKEN_RETRY_MS = 30_000;
/** How often a loaded model is checked to be still in the registry (a deleted one is released, its events dead-lettered). */
const PRESENCE_CHECK_MS = 1000;

export type { ModelRollback, TrainerFleetOptions } from './fleet-member.js';

/**
 * The models one trainer process learns from a shared labels topic: each
 * record goes by its event's `model` (none: the default model) to that model's
 * own {@link OnlineTrainer} (learner, offsets, checkpoints, guardrail, dedupe),
 * loaded from the newest version in the registry on the model's first event.
 * Events for a model the registry does not have are dead-lettered
 * `unknown_model`; when `training.models` lists models, events for others are
 * dead-lettered `wrong_model`.
 *
 * Group offsets follow a {@link CommitFloor}: never past a record some model
 * learned but has not saved. When the group reassigns partitions, models whose
 * unsaved learning was on a partition this member lost are dropped unsaved (the
 * new reader learns those events again from the committed offset), and every
 * other model restores the newest checkpoint before its next step, in case
 * another trainer wrote one meanwhile. Steps must run one at a time.
 *
 * @example
 * const fleet = new TrainerFleet({ store, topic, training, defaultModel: 'digits', backend, deadLetters, ack, commit });
 * source.records().pipe(microBatch(32, 200), concatMap((b) => fleet.step(b)));
 */
export class TrainerFleet {
  private readonly members = new Map<string, Member>();
  private readonly floor = new CommitFloor();
  private readonly now: () => number;
  private readonly group = new GroupAssignment();
  /** Models whose newest version failed to load, and until when they are not tried again. */
  private readonly broken = new Map<string, number>();
  private readonly commits: FleetCommits;
  private readonly rounds: CheckpointRounds;
  /** Totals since start (for summaries and tests). */
  readonly totals = { routed: 0, unknownModel: 0, wrongModel: 0, rejected: 0, dropped: 0, loaded: 0, unloaded: 0, discarded: 0 };

  constructor(private readonly o: TrainerFleetOptions) {
    this.now = o.now ?? Date.now;
    this.commits = new FleetCommits({ commit: o.commit, log: o.log, now: this.now }, this.floor, this.group);
    this.rounds = new CheckpointRounds(this.commits, !o.commitsBeforeInstall);
  }

  /** Names of the models loaded now. */
  get models(): string[] {
    return [...this.members.keys()];
  }

  /** The trainer of a loaded model (undefined when it is not loaded). */
  trainer(model: string): OnlineTrainer | undefined {
    return this.members.get(model)?.trainer;
  }

  /** The group is rebalancing: no checkpoint until the new assignment is known (a partition may move to another trainer). */
  revoke(): void {
    this.group.revoke();
  }

  /** The group gave this member these partitions of the topic (takes effect at the next step). */
  assign(topic: string, partitions: readonly number[]): void {
    this.group.assign(topic, partitions);
  }

  /** Routes, decodes and learns one micro-batch of raw records; an empty batch is a clock tick. */
  async step(batch: readonly RawRecord[]): Promise<void> {
    const change = this.group.takeChange();
    if (change) await this.applyAssignment(change);
    const now = this.now();
    const routed = new Map<string, DecodedRecord[]>();
    const letters: BadRecord[] = [];
    const missing = new Set<string>();
    for (const record of batch) {
      const key = tpKey(record.topic, record.partition);
      if (!this.group.reads(key)) {
        // Fetched before this member lost the partition: its new reader has it from the committed offset.
        this.o.ack(record);
        this.totals.dropped++;
        continue;
      }
      const routedTo = await routeRecord(record, {
        defaultModel: this.o.defaultModel,
        allowed: this.o.training.models,
        // A model missing once in a batch is not looked up again for the batch; a broken one not before its retry time.
        member: async (model) => (missing.has(model) || (this.broken.get(model) ?? 0) > this.now() ? null : await this.member(model)),
      });
      if (!routedTo.ok) {
        const { bad } = routedTo;
        if (bad === null) this.o.ack(record); // a label by reference: the feedback joiner completes it onto this topic
        else if (bad.reason === 'unknown_model') {
          missing.add(routedTo.model);
          this.totals.unknownModel++;
        } else if (bad.reason === 'wrong_model') this.totals.wrongModel++;
        if (bad) letters.push(bad);
        continue;
      }
      const { model, member, decoded } = routedTo;
      member.lastEventAt = now;
      this.floor.taken(model, key, record.offset);
      let list = routed.get(model);
      if (!list) routed.set(model, (list = []));
      list.push(decoded);
      this.totals.routed++;
    }
    if (letters.length > 0) {
      const byReason = await deadLetter(letters, this.o);
      // Records no model took on are reported as the default model's rejects.
      this.o.onStats?.(rejectedStats(this.o.defaultModel, this.o.topic, byReason));
      this.totals.rejected += letters.length;
    }
    for (const record of batch) {
      const key = tpKey(record.topic, record.partition);
      if (this.group.reads(key)) this.floor.passed(key, record.offset);
    }
    for (const [model, list] of routed) {
      const member = this.members.get(model);
      // Records routed to a model released later in this batch (deleted meanwhile) are let go.
      if (!member) for (const d of list) this.o.ack(d.record);
      else {
        if (member.pending.length === 0) member.pendingSince = now;
        member.pending.push(...list);
      }
    }
    // A model steps with its held events once they fill a batch or have waited modelBatchWaitMs
    // (at once when that is 0); checkpoints are taken after, in rounds (see CheckpointRounds).
    const { maxBatchSize, modelBatchWaitMs } = this.o.training;
    for (const [model, member] of [...this.members]) {
      const held = member.pending.length;
      if (held === 0 || (held < maxBatchSize && now - member.pendingSince < modelBatchWaitMs)) continue;
      const records = member.pending;
      member.pending = [];
      if (!(await this.deletedOn(model, () => member.trainer.step(records, { checkpoint: false })))) continue;
      // Nothing learned (duplicates, skipped, rejected): the floor may pass its records.
      if (member.trainer.unsaved === 0 && member.pending.length === 0) this.floor.clean(model);
    }
    await this.rounds.run([...this.members], async (model, member) => {
      // An empty step first: a refresh asked for by a reassignment comes before any save.
      let saved = false;
      const step = async (): Promise<void> => {
        await member.trainer.step([], { checkpoint: false });
        saved = (await member.trainer.saveVersion()) !== null;
      };
      if ((await this.deletedOn(model, step)) && member.trainer.unsaved === 0 && member.pending.length === 0) this.floor.clean(model);
      return saved;
    });
    await this.unloadIdle(now);
    if (now - this.commits.lastAt >= this.o.training.versionEveryMs) await this.rounds.settled().then(() => this.commits.commit());
  }

  /** Learns the events held for each model, saves a checkpoint of every model that learned since its last one, then commits (on close). */
  async saveAll(): Promise<void> {
    await this.rounds.settled();
    for (const [model, member] of [...this.members]) {
      const records = member.pending;
      member.pending = [];
      if (records.length > 0 && !(await this.deletedOn(model, () => member.trainer.step(records)))) continue;
      if (!(await this.deletedOn(model, () => member.trainer.saveVersion()))) continue;
      if (member.trainer.unsaved === 0) this.floor.clean(model);
    }
    await this.commits.commit();
  }

  /** Releases every model (learners and guardrail copies). */
  dispose(): void {
    for (const model of [...this.members.keys()]) this.release(model);
  }

  /** The loaded model, or loads its newest version; null when the registry has none (or it cannot be loaded). */
  private async member(model: string): Promise<Member | null> {
    const have = this.members.get(model);
    if (have && this.now() - have.checkedAt < PRESENCE_CHECK_MS) return have;
    if (have) {
      have.checkedAt = this.now();
      if (await this.o.store.exists(model)) return have;
      // Deleted (`streamtune models delete`): what it learned since its last checkpoint goes with it.
      const version = have.trainer.checkpoint?.version ?? null;
      this.release(model);
      this.o.onModel?.({ model, action: 'dropped', version, reason: 'deleted from the registry' });
      return null;
    }
    const restored = await restoreNewest(this.o.store, model, (line) => this.o.log?.(line));
    if (restored === 'none') return null;
    if (restored instanceof Error) {
      this.o.log?.(`${restored.message}, its events are dead-lettered (next try in ${BROKEN_RETRY_MS} ms)`, 'warn');
      this.broken.set(model, this.now() + BROKEN_RETRY_MS);
      return null;
    }
    const version = restored.meta.version;
    const member = await openMember(model, restored, this.o, {
      // Everything this model took on is in the checkpoint just made durable (or about to be published, with the offsets);
      // in a round, the round's one commit passes it.
      commit: async (staged) => (staged || !this.rounds.active ? this.floor.cleanFor(model, () => this.commits.commit(staged)) : this.floor.clean(model)),
      mayCheckpoint: () => this.mayCheckpoint(model),
      // Without transactions, the group coordinator is the fence: it refuses a commit from a member that lost its partitions.
      fence: () => this.rounds.fence(),
      onRollback: (r) => this.o.onRollback?.({ model, ...r }),
      onRetry: (err, retryMs) => this.o.log?.(`${model}: checkpoint not taken, learning goes on and it is tried again in ${retryMs} ms: ${err.message}`, 'warn'),
      now: this.now,
    });
    this.members.set(model, member);
    this.totals.loaded++;
    this.o.onModel?.({ model, action: 'loaded', version, reason: 'first event' });
    return member;
  }

  /** A checkpoint may be written only while every partition the model learned from since its last one is still this member's (and a new assignment was acted on). */
  private mayCheckpoint(model: string): boolean {
    return !this.group.rebalancing && !this.group.changePending && this.floor.partitionsOf(model).every((k) => this.group.reads(k));
  }

  /** After a (re)assignment: drop models whose unsaved learning is on a lost partition; the others restore the newest checkpoint. */
  private async applyAssignment(partitions: number[]): Promise<void> {
    await this.o.owned?.(partitions);
    this.commits.forget();
    const assigned = this.group.assigned;
    for (const [model, member] of [...this.members]) {
      if (this.floor.partitionsOf(model).some((k) => !assigned.has(k))) {
        this.release(model);
        this.totals.discarded++;
        this.o.onModel?.({ model, action: 'dropped', version: member.trainer.checkpoint?.version ?? null, reason: 'its partition moved to another trainer' });
      } else member.trainer.requestRefresh();
    }
    this.floor.retain(assigned);
  }

  /** Saves and unloads models that got no event for `training.idleUnloadMs`. */
  private async unloadIdle(now: number): Promise<void> {
    const idleMs = this.o.training.idleUnloadMs;
    if (idleMs <= 0) return;
    for (const [model, member] of [...this.members]) {
      if (now - member.lastEventAt < idleMs) continue;
      await member.trainer.saveVersion();
      if (member.trainer.unsaved > 0) continue;
      this.floor.clean(model);
      this.release(model);
      this.totals.unloaded++;
      this.o.onModel?.({ model, action: 'unloaded', version: member.trainer.checkpoint?.version ?? null, reason: `idle for ${idleMs} ms` });
    }
  }

  /**
   * Runs a step or save of `model`; when the model was deleted from the registry
   * (`streamtune models delete`) meanwhile, releases it instead (its next events
   * are dead-lettered unknown_model) and returns false. Other errors propagate.
   */
  private async deletedOn(model: string, fn: () => Promise<unknown>): Promise<boolean> {
    try {
      await fn();
      return true;
    } catch (err) {
      if (!(err instanceof ModelNotFoundError)) throw err;
      const version = this.members.get(model)?.trainer.checkpoint?.version ?? null;
      this.release(model);
      this.o.onModel?.({ model, action: 'dropped', version, reason: 'deleted from the registry' });
      return false;
    }
  }

  private release(model: string): void {
    const member = this.members.get(model);
    if (!member) return;
    this.members.delete(model);
    this.floor.clean(model);
    // Held events not learned go back to the source's count (a successor reads them again from the commit floor).
    for (const d of member.pending) this.o.ack(d.record);
    member.pending = [];
    member.trainer.dispose();
    member.trainer.learner.dispose();
  }
}
