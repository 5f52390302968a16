import type { RetentionConfig } from '../core/index.js';
import { versionRecordKeys, type KafkaRegistryPublisher } from './kafka-registry-publisher.js';
import { pruneVersions } from './prune-versions.js';
import type { VersionFacts } from './retention-plan.js';
import type { VersionStore } from './version-store.js';

/**
 * Versions removed per pass at most: a registry that never had retention (thousands of
 * versions) is pruned over the next checkpoints, not in one long pass in the trainer.
 */
const MAX_PER_PASS = 100;

export interface RegistryRetentionOptions {
  store: VersionStore;
  /** The `registry.retention` config section. */
  policy: RetentionConfig;
  /** Mode `kafka`: removed versions are tombstoned on the registry topic first. */
  publisher?: KafkaRegistryPublisher | null;
  /** `registry.chunkBytes`: the chunking the version's records were published with. */
  chunkBytes: number;
  /** The keys the registry topic holds for a version, when known (a mirror read its manifest). */
  topicKeys?(model: string, version: string): readonly string[] | undefined;
  log?(line: string): void;
  /** @defaultValue Date.now */
  now?: () => number;
}

/**
 * Retention where versions are written: the trainer calls {@link afterVersion}
 * after each checkpoint of a model, and the versions the rule drops
 * ({@link pruneVersions}) go — in mode `kafka` first from the registry topic
 * (a tombstone for the manifest, then for every chunk: every mirror removes the
 * version and compaction frees its bytes), then from the directory. When the
 * tombstones cannot be written, nothing is removed; the next checkpoint tries
 * again. Passes of one model run one at a time; calls made while one runs make
 * one more pass.
 *
 * The fence: only the trainer that just committed a checkpoint of a model prunes
 * it, and the rule keeps the newest versions, the serving one and its rollback
 * targets of that trainer's view, which a newer owner's view only moves forward.
 *
 * @example
 * const retention = new RegistryRetention({ store, policy: config.registry.retention, publisher, chunkBytes: config.registry.chunkBytes });
 * onVersion: (meta) => void retention.afterVersion(meta.model);
 */
export class RegistryRetention {
  private readonly facts = new Map<string, VersionFacts>();
  private readonly passes = new Map<string, { running: Promise<void>; again: boolean }>();
  private readonly log: (line: string) => void;
  /** Versions removed since start (for tests and summaries). */
  removed = 0;

  constructor(private readonly o: RegistryRetentionOptions) {
    this.log = o.log ?? (() => undefined);
  }

  /** Applies the rule to `model` (in the background of the caller: failures are logged, never thrown; at most 100 versions a pass). */
  afterVersion(model: string): Promise<void> {
    if (this.o.policy.keepVersions === 0) return Promise.resolve();
    const pass = this.passes.get(model);
    if (pass) {
      pass.again = true;
      return pass.running;
    }
    const entry = { running: Promise.resolve(), again: false };
    entry.running = (async () => {
      do {
        entry.again = false;
        await this.prune(model).catch((err: unknown) => this.log(`retention of ${model} failed (tried again after its next version): ${(err as Error).message}`));
      } while (entry.again);
      this.passes.delete(model);
    })();
    this.passes.set(model, entry);
    return entry.running;
  }

  /** Resolves once the passes under way are done. */
  async idle(): Promise<void> {
    while (this.passes.size > 0) await Promise.all([...this.passes.values()].map((p) => p.running));
  }

  private async prune(model: string): Promise<void> {
    const { store, publisher } = this.o;
    const { removed } = await pruneVersions(store, model, this.o.policy, {
      nowMs: (this.o.now ?? Date.now)(),
      facts: this.facts,
      limit: MAX_PER_PASS,
      beforeRemove: publisher ? (versions) => this.tombstone(model, versions) : undefined,
    });
    this.removed += removed.length;
    if (removed.length > 0) this.log(`retention: removed ${removed.length} version(s) of ${model}${publisher ? ` here and on ${publisher.topic}` : ''}: ${removed.join(', ')}`);
  }

  /**
   * Tombstones every key of these versions: the keys the topic holds, as the mirror
   * read them in the manifest, or else (a manifest it has not read) those rebuilt
   * from the files here with this trainer's chunk size.
   */
  private async tombstone(model: string, versions: string[]): Promise<void> {
    const keys: string[] = [];
    for (const version of versions) {
      const known = this.o.topicKeys?.(model, version);
      if (known) {
        keys.push(...known);
        continue;
      }
      const files = await this.o.store.files(model, version).catch(() => [] as string[]);
      keys.push(...(await versionRecordKeys({ model, version, dir: this.o.store.versionDir(model, version), files }, this.o.chunkBytes)));
    }
    await this.o.publisher!.tombstone(keys);
  }
}
