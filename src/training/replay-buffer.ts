import { seededRandom } from '../core/index.js';

/**
 * A fixed-size reservoir sample of labelled examples seen so far. Mixing a few
 * of them into each online step limits forgetting of older data.
 */
export class ReplayBuffer<T> {
  private readonly items: T[] = [];
  private seen = 0;
  private readonly rand: () => number;

  constructor(
    readonly capacity: number,
    seed = 1,
  ) {
    this.rand = seededRandom(seed);
  }

  get size(): number {
    return this.items.length;
  }

  add(item: T): void {
    this.seen++;
    if (this.items.length < this.capacity) this.items.push(item);
    else {
      const j = Math.floor(this.rand() * this.seen);
      if (j < this.capacity) this.items[j] = item;
    }
  }

  /** Up to `k` items drawn uniformly (with replacement). */
  sample(k: number): T[] {
    if (this.items.length === 0) return [];
    return Array.from({ length: k }, () => this.items[Math.floor(this.rand() * this.items.length)]!);
  }
}
