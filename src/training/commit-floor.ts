/**
 * How far a consumer group may commit a partition that carries many models'
 * events: never past the first record some model took on but has not saved in a
 * durable checkpoint yet, else up to the consumer's position. A trainer that
 * takes the partition over reads from there, and each model's own checkpoint
 * offsets skip what that model already holds, so every model learns each of its
 * events exactly once.
 *
 * @example
 * const floor = new CommitFloor();
 * floor.taken('a', 'labels/0', '5'); floor.passed('labels/0', '5');
 * floor.taken('b', 'labels/0', '6'); floor.passed('labels/0', '6');
 * floor.clean('a');
 * floor.offsets(); // { 'labels/0': '6' }: b's record 6 is not saved yet
 */
export class CommitFloor {
  /** model → `topic/partition` → offset of its first record not in a durable checkpoint. */
  private readonly unsaved = new Map<string, Map<string, bigint>>();
  /** `topic/partition` → next offset after the last record handled. */
  private readonly position = new Map<string, bigint>();

  /** A record went to `model`: the floor stays at or below it until the model is clean. */
  taken(model: string, key: string, offset: string): void {
    let first = this.unsaved.get(model);
    if (!first) this.unsaved.set(model, (first = new Map()));
    if (!first.has(key)) first.set(key, BigInt(offset));
  }

  /** A record was handled, whatever became of it: the position moves past it. */
  passed(key: string, offset: string): void {
    const next = BigInt(offset) + 1n;
    if ((this.position.get(key) ?? -1n) < next) this.position.set(key, next);
  }

  /** `model` holds nothing unsaved (it saved a checkpoint, or learned nothing since its last). */
  clean(model: string): void {
    this.unsaved.delete(model);
  }

  /**
   * `model` is clean while `commit` runs (the offsets it commits pass the model's
   * records, with the checkpoint that holds them); when `commit` fails, what the
   * model held unsaved is back, so no later commit passes those records.
   */
  async cleanFor(model: string, commit: () => Promise<void>): Promise<void> {
    const held = this.unsaved.get(model);
    this.unsaved.delete(model);
    try {
      await commit();
    } catch (err) {
      if (held && !this.unsaved.has(model)) this.unsaved.set(model, held);
      throw err;
    }
  }

  /** Whether `model` took on records not saved yet, and on which partitions. */
  partitionsOf(model: string): string[] {
    return [...(this.unsaved.get(model)?.keys() ?? [])];
  }

  /** Forgets the partitions this member no longer reads (their new reader commits them). */
  retain(keys: ReadonlySet<string>): void {
    for (const key of this.position.keys()) if (!keys.has(key)) this.position.delete(key);
    for (const [model, first] of this.unsaved) {
      for (const key of first.keys()) if (!keys.has(key)) first.delete(key);
      if (first.size === 0) this.unsaved.delete(model);
    }
  }

  /** What the group may commit, per `topic/partition` handled so far. */
  offsets(): Record<string, string> {
    const out = new Map(this.position);
    for (const first of this.unsaved.values()) {
      for (const [key, offset] of first) if (!out.has(key) || offset < out.get(key)!) out.set(key, offset);
    }
    return Object.fromEntries([...out].map(([k, v]) => [k, v.toString()]));
  }
}
