import { tpKey } from '../ingest/index.js';

/**
 * What the consumer group gave this trainer: the partitions it reads, whether a
 * rebalance is under way (no checkpoint may be written then: a partition may be
 * moving to another trainer), and whether the assignment changed since the
 * trainer last acted on it.
 *
 * @example
 * const a = new GroupAssignment();
 * a.assign('labels', [0, 2]);
 * a.reads('labels/2'); // true
 * a.takeChange();      // [0, 2] once, then null
 */
export class GroupAssignment {
  /** `topic/partition` keys read (null before the first assignment: nothing arrives then). */
  private keys: Set<string> | null = null;
  private partitions: number[] = [];
  private changed = false;
  /** A rebalance is under way. */
  rebalancing = false;

  /** The group is rebalancing. */
  revoke(): void {
    this.rebalancing = true;
  }

  /** The group gave this member these partitions of `topic`. */
  assign(topic: string, partitions: readonly number[]): void {
    this.keys = new Set(partitions.map((p) => tpKey(topic, p)));
    this.partitions = [...partitions];
    this.changed = true;
    this.rebalancing = false;
  }

  /** Whether records of `key` (`topic/partition`) are this member's (all are before the first assignment). */
  reads(key: string): boolean {
    return this.keys === null || this.keys.has(key);
  }

  /** The assigned keys (empty before the first assignment). */
  get assigned(): Set<string> {
    return this.keys ?? new Set();
  }

  /** Whether an assignment came that the trainer has not acted on yet (its models may hold another owner's past). */
  get changePending(): boolean {
    return this.changed;
  }

  /** The new partitions if the assignment changed since the last call, else null. */
  takeChange(): number[] | null {
    if (!this.changed) return null;
    this.changed = false;
    return this.partitions;
  }
}
