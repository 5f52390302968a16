import { tpKey, type RawRecord } from '../ingest/index.js';

/**
 * Where a learner stands in each `topic/partition`: the next offset it has not
 * learned. A restored checkpoint sets it; records below it were learned into that
 * checkpoint already (re-read after a restart or takeover) and are skipped.
 *
 * @example
 * const t = new OffsetTracker({ 'labels/0': '10' });
 * t.admit([{ record: r9 }, { record: r10 }]); // { fresh: [r10 item], skipped: 1 }
 * t.positions(); // { 'labels/0': '11' }
 */
export class OffsetTracker {
  private next = new Map<string, bigint>();

  constructor(offsets: Record<string, string> = {}) {
    this.reset(offsets);
  }

  /** Starts over from a checkpoint's offsets. */
  reset(offsets: Record<string, string>): void {
    this.next = new Map(Object.entries(offsets).map(([k, v]) => [k, BigInt(v)]));
  }

  /** Splits a batch into items not learned yet (moving positions past them) and a count of those already learned. */
  admit<T extends { record: RawRecord }>(batch: readonly T[]): { fresh: T[]; skipped: number } {
    const fresh: T[] = [];
    let skipped = 0;
    for (const item of batch) {
      const key = tpKey(item.record.topic, item.record.partition);
      const offset = BigInt(item.record.offset);
      const next = this.next.get(key);
      if (next !== undefined && offset < next) skipped++;
      else {
        this.next.set(key, offset + 1n);
        fresh.push(item);
      }
    }
    return { fresh, skipped };
  }

  /** Next offset per `topic/partition` not learned yet (what a checkpoint stores and commits). */
  positions(): Record<string, string> {
    return Object.fromEntries([...this.next].map(([k, v]) => [k, v.toString()]));
  }
}
