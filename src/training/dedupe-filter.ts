import type { DecodedRecord, GoodRecord } from '../features/index.js';
import { BloomFilter } from './bloom-filter.js';

const MAGIC = 'STDF';
const FORMAT = 1;

/**
 * The event ids a trainer remembers to drop producer retries, in a fixed number
 * of bytes whatever the ids: two generations of Bloom filters, each sized for
 * `window` ids at half of `falsePositiveRate`. Ids go into the current one; when
 * it holds `window`, it becomes the older one and the previous older one is
 * forgotten. So every one of the last `window` ids (and up to `window` before
 * them) is recognised; a fresh id is taken for a duplicate with probability at
 * most `falsePositiveRate`. Saved with each checkpoint ({@link toBytes}): always
 * two filters' bytes, e.g. ~396 KB for 100,000 ids at 0.001 — the same for ids
 * of 8 or 80 characters, and the same from the first id on (a generation not
 * started yet is saved empty), so versions do not grow as the window fills.
 *
 * @example
 * const ids = new DedupeFilter(100_000, 0.001);
 * ids.seen('e1'); // false (and remembered)
 * ids.seen('e1'); // true
 */
export class DedupeFilter {
  private older: BloomFilter | null = null;
  private current: BloomFilter | null = null;

  constructor(
    readonly window: number,
    readonly falsePositiveRate: number,
  ) {}

  /**
   * Restores a filter saved by {@link toBytes}. Its generations keep the size they
   * were made with (a changed window or rate applies from the next generation).
   * Bytes of an unknown or damaged format give an empty filter: retries within
   * the window may then be learned twice, nothing worse.
   */
  static fromBytes(window: number, falsePositiveRate: number, bytes: Buffer): DedupeFilter {
    const f = new DedupeFilter(window, falsePositiveRate);
    if (window <= 0) return f;
    try {
      f.load(bytes);
    } catch {
      f.older = f.current = null;
    }
    return f;
  }

  /** Restores the window of the older trainer state (`recentIds`, oldest first). */
  static fromIds(window: number, falsePositiveRate: number, ids: readonly string[]): DedupeFilter {
    const f = new DedupeFilter(window, falsePositiveRate);
    for (const id of ids.slice(-window)) f.add(id);
    return f;
  }

  /** Whether `id` was (probably) added before. */
  has(id: string): boolean {
    const h = BloomFilter.hashes(id);
    return (this.current?.has(h) ?? false) || (this.older?.has(h) ?? false);
  }

  add(id: string | [number, number]): void {
    if (this.window <= 0) return;
    if (!this.current || this.current.count >= Math.min(this.window, this.current.capacity)) {
      this.older = this.current;
      this.current = BloomFilter.sized(this.window, this.falsePositiveRate / 2);
    }
    this.current.add(id);
  }

  /**
   * Whether `id` was seen before; remembers it unless the current generation has
   * it (so every id given within the last `window` calls is recognised, even one
   * the older generation answered for, rightly or as a false positive).
   */
  seen(id: string): boolean {
    const h = BloomFilter.hashes(id);
    if (this.current?.has(h)) return true;
    const before = this.older?.has(h) ?? false;
    this.add(h);
    return before;
  }

  /**
   * The filter as bytes: `STDF`, format (u8), number of generations (u8), then per
   * generation, older first: bit count (u32 LE), hash count (u8), capacity (u32
   * LE), ids added (u32 LE) and its bits.
   */
  toBytes(): Buffer {
    // Both generations always: the bytes of a checkpoint stay the same while the window fills.
    const empty = (): BloomFilter => BloomFilter.sized(this.window, this.falsePositiveRate / 2);
    const gens = this.window > 0 ? [this.older ?? empty(), this.current ?? empty()] : [];
    const head = Buffer.alloc(6);
    head.write(MAGIC, 0, 'latin1');
    head.writeUInt8(FORMAT, 4);
    head.writeUInt8(gens.length, 5);
    const parts: Uint8Array[] = [head];
    for (const g of gens) {
      const h = Buffer.alloc(13);
      h.writeUInt32LE(g.bitCount, 0);
      h.writeUInt8(g.hashCount, 4);
      h.writeUInt32LE(g.capacity, 5);
      h.writeUInt32LE(g.count, 9);
      parts.push(h, g.bits);
    }
    return Buffer.concat(parts);
  }

  private load(bytes: Buffer): void {
    if (bytes.toString('latin1', 0, 4) !== MAGIC || bytes.readUInt8(4) !== FORMAT) throw new Error('not a dedupe filter of format 1');
    const n = bytes.readUInt8(5);
    const gens: BloomFilter[] = [];
    let at = 6;
    for (let i = 0; i < n; i++) {
      const bitCount = bytes.readUInt32LE(at);
      const hashCount = bytes.readUInt8(at + 4);
      const capacity = bytes.readUInt32LE(at + 5);
      const count = bytes.readUInt32LE(at + 9);
      const len = Math.ceil(bitCount / 8);
      if (bitCount === 0 || hashCount === 0 || at + 13 + len > bytes.length) throw new Error('truncated');
      gens.push(new BloomFilter(bitCount, hashCount, capacity, new Uint8Array(bytes.subarray(at + 13, at + 13 + len)), count));
      at += 13 + len;
    }
    if (n > 2 || at !== bytes.length) throw new Error('bad generation count or length');
    this.older = n === 2 ? gens[0]! : null;
    this.current = gens[n - 1] ?? null;
  }
}

/**
 * A step's fresh records without the ids `filter` saw within its window (which
 * it now remembers), split into labelled and unlabelled events; bad records are
 * left out (they are dead-lettered). An unlabelled event and the true label that
 * comes for it later share the id: both are learned.
 *
 * @example
 * const { labelled, unlabelled, duplicates } = splitFresh(filter, records);
 */
export function splitFresh(filter: DedupeFilter, fresh: readonly DecodedRecord[]): { labelled: GoodRecord[]; unlabelled: GoodRecord[]; duplicates: number } {
  let duplicates = 0;
  const labelled: GoodRecord[] = [];
  const unlabelled: GoodRecord[] = [];
  for (const d of fresh) {
    if (!d.ok) continue;
    const key = d.event.label === null ? `${d.event.id}\u0000unlabelled` : d.event.id;
    if (filter.seen(key)) {
      duplicates++;
      continue;
    }
    (d.event.label === null ? unlabelled : labelled).push(d);
  }
  return { labelled, unlabelled, duplicates };
}
