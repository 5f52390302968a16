/**
 * The last `capacity` event ids, in arrival order: a duplicate within the
 * window (a producer retry) is recognised and not learned twice.
 */
export class RecentIds {
  private readonly set = new Set<string>();
  private readonly order: string[] = [];
  private head = 0;

  constructor(
    readonly capacity: number,
    initial: readonly string[] = [],
  ) {
    for (const id of initial) this.add(id);
  }

  has(id: string): boolean {
    return this.set.has(id);
  }

  add(id: string): void {
    if (this.capacity <= 0 || this.set.has(id)) return;
    this.set.add(id);
    this.order.push(id);
    if (this.order.length - this.head > this.capacity) {
      this.set.delete(this.order[this.head]!);
      this.head++;
      // Compact now and then so the array does not grow without end.
      if (this.head > this.capacity) {
        this.order.splice(0, this.head);
        this.head = 0;
      }
    }
  }

  /** Ids in the window, oldest first (saved with each checkpoint). */
  toArray(): string[] {
    return this.order.slice(this.head);
  }
}
