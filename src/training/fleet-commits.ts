import { BrokerError, FencedError } from '../core/index.js';
import type { StagedVersion } from '../registry/index.js';
import type { CommitFloor } from './commit-floor.js';
import type { GroupAssignment } from './group-assignment.js';

/** Group coordinator errors that mean this member is not (or no longer) the owner of its partitions. */
const STALE_MEMBER = new Set(['ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID']);
/**
 * Errors of a coordinator moving, a broker lost or a rebalance under way: the commit may be
 * tried again. A rebalance is no fence yet: the new assignment says whether the partitions stay.
 */
const TRANSIENT = new Set(['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_LOAD_IN_PROGRESS', 'REQUEST_TIMED_OUT', 'NETWORK_EXCEPTION', 'REBALANCE_IN_PROGRESS']);
const TRANSIENT_NAMES = new Set(['KafkaJSConnectionError', 'KafkaJSConnectionClosedError', 'KafkaJSRequestTimeoutError', 'KafkaJSBrokerNotFound', 'KafkaJSGroupCoordinatorNotFound']);

/** The kafkajs error types and names of an error and those it wraps (kafkajs nests them in `cause` and `originalError`). */
function kinds(err: unknown): string[] {
  const out: string[] = [];
  for (let e = err as { type?: string; name?: string; cause?: unknown; originalError?: unknown } | undefined, depth = 0; e && depth < 5; depth++) {
    if (e.type) out.push(e.type);
    if (e.name) out.push(e.name);
    e = (e.cause ?? e.originalError) as typeof e;
  }
  return out;
}

export interface FleetCommitsOptions {
  /** Commits group offsets, with the versions to publish first (see TrainerFleetOptions.commit). */
  commit(offsets: Record<string, string>, versions: StagedVersion[]): Promise<void>;
  log?(line: string, level?: 'info' | 'warn'): void;
  now: () => number;
}

/**
 * A trainer fleet's group commits: what the {@link CommitFloor} allows on the
 * partitions this member reads, never during a rebalance, never the same offsets
 * twice. A failed offsets-only commit is logged and retried with the next one
 * (reading again is safe); a commit that carries a version, or a fence, throws
 * (a broker's failure as a retriable BrokerError: the checkpoint is tried again).
 */
export class FleetCommits {
  private last = '';
  /** When the last commit was tried. */
  lastAt: number;
  count = 0;

  constructor(
    private readonly o: FleetCommitsOptions,
    private readonly floor: CommitFloor,
    private readonly group: GroupAssignment,
  ) {
    this.lastAt = o.now();
  }

  /** Forgets what was committed (after a reassignment, the same offsets may need committing again). */
  forget(): void {
    this.last = '';
  }

  /**
   * Commits the floor again, even unchanged: the group coordinator refuses a
   * member of an older generation, so a trainer that lost its partitions (paused,
   * cut off) learns it here, before it installs a checkpoint. Throws a
   * {@link FencedError} then. During a rebalance it throws a retriable
   * {@link BrokerError}: the checkpoint is not taken, learning goes on, and the
   * new assignment decides (a model whose partition moved is dropped unsaved, the
   * others checkpoint on their next try). A rebalance is how every member hears of
   * a member joining or leaving: stopping the trainer then would stop survivors too.
   */
  async probe(): Promise<void> {
    if (this.group.rebalancing) throw new BrokerError('the group is rebalancing: no checkpoint until the new assignment is known');
    const offsets = Object.fromEntries(Object.entries(this.floor.offsets()).filter(([k]) => this.group.reads(k)));
    if (Object.keys(offsets).length === 0) return;
    try {
      await this.o.commit(offsets, []);
    } catch (err) {
      const found = kinds(err);
      const stale = found.find((k) => STALE_MEMBER.has(k));
      if (stale) throw new FencedError(`the group refused this trainer's commit (${stale}): its partitions belong to another member now`, {}, err);
      // The coordinator moving or a broker lost: the checkpoint waits and is tried again. Anything else stops the trainer.
      if (found.some((k) => TRANSIENT.has(k) || TRANSIENT_NAMES.has(k))) throw new BrokerError(`the group coordinator did not take this trainer's commit: ${(err as Error).message}`, {}, err);
      throw err;
    }
  }

  async commit(staged?: StagedVersion): Promise<void> {
    this.lastAt = this.o.now();
    if (this.group.rebalancing && !staged) return;
    const offsets = Object.fromEntries(Object.entries(this.floor.offsets()).filter(([k]) => this.group.reads(k)));
    const key = JSON.stringify(offsets);
    if (!staged && (key === this.last || key === '{}')) return;
    try {
      await this.o.commit(offsets, staged ? [staged] : []);
      this.last = key;
      this.count++;
    } catch (err) {
      // A version not published stops the trainer (restarted, it learns those events again); so does a fence.
      if (staged || err instanceof FencedError) throw err;
      this.o.log?.(`committing offsets ${key} failed (retried with the next checkpoint): ${(err as Error).message}`, 'warn');
    }
  }
}
