/**
 * A Bloom filter of strings: `has` is never false for a string added, and true
 * for one never added with probability about `falsePositiveRate` once
 * `capacity` strings are in. Positions come from two MurmurHash3 (x86, 32-bit)
 * hashes of the string's UTF-8 bytes (seeds 0 and 0x9747b28c), combined as
 * `h1 + i·h2 mod bitCount` for i < hashCount — part of the saved format, so it
 * must never change.
 *
 * Hand-written (no Bloom filter among the project's dependencies): ~70 lines,
 * and its bytes are a format versions carry.
 *
 * @example
 * const f = BloomFilter.sized(100_000, 0.0005);
 * f.add('event-1');
 * f.has('event-1'); // true
 */
export class BloomFilter {
  /** Strings added. */
  count: number;
  readonly bits: Uint8Array;

  constructor(
    readonly bitCount: number,
    readonly hashCount: number,
    /** Strings it is sized for. */
    readonly capacity: number,
    bits?: Uint8Array,
    count = 0,
  ) {
    this.bits = bits ?? new Uint8Array(Math.ceil(bitCount / 8));
    this.count = count;
  }

  /** The smallest filter with a false-positive rate of `falsePositiveRate` once `capacity` strings are in. */
  static sized(capacity: number, falsePositiveRate: number): BloomFilter {
    const n = Math.max(1, capacity);
    const bitCount = Math.max(8, Math.ceil((-n * Math.log(falsePositiveRate)) / Math.LN2 ** 2));
    const hashCount = Math.max(1, Math.round((bitCount / n) * Math.LN2));
    return new BloomFilter(bitCount, hashCount, capacity);
  }

  /** The two hashes a string's positions are made of (compute once, test several filters). */
  static hashes(s: string): [number, number] {
    const bytes = Buffer.from(s, 'utf8');
    return [murmur3(bytes, 0), murmur3(bytes, 0x9747b28c)];
  }

  has(s: string | [number, number]): boolean {
    const [h1, h2] = typeof s === 'string' ? BloomFilter.hashes(s) : s;
    for (let i = 0; i < this.hashCount; i++) {
      const bit = (h1 + i * h2) % this.bitCount;
      if ((this.bits[bit >>> 3]! & (1 << (bit & 7))) === 0) return false;
    }
    return true;
  }

  add(s: string | [number, number]): void {
    const [h1, h2] = typeof s === 'string' ? BloomFilter.hashes(s) : s;
    for (let i = 0; i < this.hashCount; i++) {
      const bit = (h1 + i * h2) % this.bitCount;
      this.bits[bit >>> 3]! |= 1 << (bit & 7);
    }
    this.count++;
  }
}

/** MurmurHash3, x86 32-bit variant, of `bytes` (unsigned result). */
export function murmur3(bytes: Uint8Array, seed: number): number {
  const mix = (k: number): number => Math.imul(rotl(Math.imul(k, 0xcc9e2d51), 15), 0x1b873593);
  let h = seed >>> 0;
  const tail = bytes.length & ~3;
  for (let i = 0; i < tail; i += 4) {
    h ^= mix(bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
    h = (Math.imul(rotl(h, 13), 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  const rest = bytes.length & 3;
  if (rest >= 3) k ^= bytes[tail + 2]! << 16;
  if (rest >= 2) k ^= bytes[tail + 1]! << 8;
  if (rest >= 1) h ^= mix(k ^ bytes[tail]!);
  h ^= bytes.length;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));
