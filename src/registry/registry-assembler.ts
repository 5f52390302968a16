import { z } from 'zod';
import type { RetentionConfig } from '../core/index.js';
import { manifestKeys, parseRegistryKey, registryManifestSchema, sha256, type RegistryKey, type RegistryManifest } from './registry-records.js';
import { TombstoneRemovals } from './tombstone-removals.js';
import { isVersionName, type VersionState } from './version-meta.js';
import type { VersionStore } from './version-store.js';

export interface RegistryAssemblerOptions {
  /** The local registry versions are written into. */
  store: VersionStore;
  /** Assemble these models only. @defaultValue every model */
  models?: string[];
  /**
   * Bytes of chunks held for versions whose manifest has not been read; past it,
   * those of the version seen first are dropped (a publisher that died before its
   * manifest leaves such chunks behind for good).
   * @defaultValue 268435456 (256 MiB)
   */
  maxBufferedBytes?: number;
  /** A version was written into the local store (not called for versions it had already). */
  onVersion?(model: string, version: string): void | Promise<void>;
  /** The operator state of a model was written into the local store. */
  onState?(model: string, state: VersionState): void | Promise<void>;
  /** A version (or, `version` null, the whole model) deleted on the topic was removed from the local store. */
  onRemoved?(model: string, version: string | null): void | Promise<void>;
  log?(line: string): void;
}

const stateSchema = z.object({ pinned: z.string().refine(isVersionName).nullable(), rejected: z.array(z.string().refine(isVersionName)) });

/** Chunks read for a version not written yet, and its manifest once read. */
interface Pending {
  chunks: Map<string, Buffer>;
  corrupt: Set<string>;
  bytes: number;
  manifest?: RegistryManifest;
}

/**
 * Turns registry records (see {@link parseRegistryKey}), in whatever order
 * compaction left them, into versions of a local {@link VersionStore}: a version
 * is written once its manifest and every chunk it lists are in, each chunk's
 * bytes match the sha256 its key names, and each file's size and sha256 match
 * the manifest. Versions the store has are skipped; the others are not written,
 * and a log line says why. Records must be given one at a time.
 *
 * Tombstones delete: a version whose manifest is tombstoned is removed from the
 * store, unless it is the newest, latest or pinned one there (then it is removed
 * once it no longer is); a tombstone of a model's state removes the model, and
 * from then on only a new root version (no parent) brings the model back — a
 * checkpoint of the deleted model that raced the deletion does not.
 *
 * @example
 * const assembler = new RegistryAssembler({ store, onVersion: (m, v) => console.log(`${m}@${v}`) });
 * for (const r of records) await assembler.add(r.key, r.value, r.offset);
 * assembler.reportIncomplete('the end of the topic');
 */
export class RegistryAssembler {
  private readonly log: (line: string) => void;
  private readonly maxBufferedBytes: number;
  private readonly pending = new Map<string, Pending>();
  private readonly present = new Set<string>();
  /** Per model, the versions whose manifest the topic holds, with every key of their records. */
  private readonly onTopic = new Map<string, Map<string, string[]>>();
  private readonly removals: TombstoneRemovals;
  private buffered = 0;

  constructor(private readonly o: RegistryAssemblerOptions) {
    this.log = o.log ?? (() => undefined);
    this.maxBufferedBytes = o.maxBufferedBytes ?? 256 * 1024 * 1024;
    this.removals = new TombstoneRemovals(o.store, this.log, o.onRemoved);
  }

  /** Bytes of chunks held for versions not written yet. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Whether `model@version` is in the local store. */
  async has(model: string, version: string): Promise<boolean> {
    const id = `${model}/${version}`;
    if (this.present.has(id)) return true;
    if (!(await this.o.store.has(model, version))) return false;
    this.present.add(id);
    return true;
  }

  /** The keys of every record of `model@version` on the topic, as its manifest lists them (undefined when no manifest was read). */
  keysOf(model: string, version: string): readonly string[] | undefined {
    return this.onTopic.get(model)?.get(version);
  }

  /**
   * Whether `model@version` is known never to come: the topic holds newer versions
   * of the model but not this one (removed, or never published). Records are read
   * in offset order and versions are published in the order of their numbers, so
   * one below a version read would have been read before it.
   */
  gone(model: string, version: string): boolean {
    const versions = this.onTopic.get(model);
    if (!versions || versions.has(version)) return false;
    return [...versions.keys()].some((v) => Number(v.slice(1)) > Number(version.slice(1)));
  }

  /**
   * Removes local versions the topic no longer holds, numbered below the newest
   * one it holds, that the retention rule drops: versions whose tombstones this
   * registry never read (compacted away while it was not running).
   */
  pruneUnlisted(policy: RetentionConfig): Promise<void> {
    return this.removals.pruneUnlisted(this.onTopic, policy);
  }

  /** Takes one record; resolves once anything it completes is written. `at` says where it was read, for log lines. */
  async add(rawKey: string | null, value: Buffer | null, at: string): Promise<void> {
    const key = rawKey === null ? null : parseRegistryKey(rawKey);
    if (!key) {
      this.log(`registry record ${at} ignored: key ${JSON.stringify(rawKey?.slice(0, 200) ?? null)} is not a registry key`);
      return;
    }
    if (this.o.models && !this.o.models.includes(key.model)) return;
    try {
      if (value === null) await this.tombstoned(key);
      else if (key.kind === 'state') await this.stateRead(key.model, value);
      else if (key.kind === 'manifest') await this.manifestRead(key.model, key.version, value);
      else await this.chunkRead(key, value, at);
    } catch (err) {
      this.log(`registry record ${rawKey} (${at}) ignored: ${(err as Error).message.replace(/\s+/g, ' ').slice(0, 300)}`);
    }
  }

  private async stateRead(model: string, value: Buffer): Promise<void> {
    const state = stateSchema.parse(JSON.parse(value.toString('utf8')));
    await this.o.store.writeState(model, state);
    await this.o.onState?.(model, state);
    await this.removals.retry(model);
  }

  private async manifestRead(model: string, version: string, value: Buffer): Promise<void> {
    const manifest = registryManifestSchema.parse(JSON.parse(value.toString('utf8')));
    if (manifest.model !== model || manifest.version !== version) throw new Error(`the manifest names ${manifest.model}/${manifest.version}`);
    // Known even for versions the store has: retention tombstones every key the topic holds.
    const versions = this.onTopic.get(model) ?? new Map<string, string[]>();
    this.onTopic.set(model, versions.set(version, manifestKeys(manifest)));
    if (await this.has(model, version)) return;
    const id = `${model}/${version}`;
    const p = this.pendingOf(id);
    p.manifest = manifest;
    await this.complete(id, p, true);
  }

  private async chunkRead(key: Extract<RegistryKey, { kind: 'chunk' }>, value: Buffer, at: string): Promise<void> {
    if (await this.has(key.model, key.version)) return;
    const id = `${key.model}/${key.version}`;
    const p = this.pendingOf(id);
    const name = `${key.file}/${key.index}/${key.sha256}`;
    const actual = sha256(value);
    if (actual !== key.sha256) {
      p.corrupt.add(name);
      this.log(`registry: chunk ${key.index} of ${key.file} of ${id} (${at}) dropped as corrupt: its bytes hash to sha256 ${actual}, its key says ${key.sha256}`);
      return;
    }
    if (p.chunks.has(name)) return;
    p.corrupt.delete(name);
    p.chunks.set(name, value);
    p.bytes += value.length;
    this.buffered += value.length;
    if (p.manifest) await this.complete(id, p, false);
    else this.evictOver(id);
  }

  private pendingOf(id: string): Pending {
    const p = this.pending.get(id) ?? { chunks: new Map<string, Buffer>(), corrupt: new Set<string>(), bytes: 0 };
    this.pending.set(id, p);
    return p;
  }

  /** A tombstone: a chunk's drops it if held; a manifest's removes the version; the state's removes the model. */
  private async tombstoned(key: RegistryKey): Promise<void> {
    if (key.kind === 'state') return this.modelDeleted(key.model);
    const id = `${key.model}/${key.version}`;
    const p = this.pending.get(id);
    if (key.kind === 'chunk') {
      const name = `${key.file}/${key.index}/${key.sha256}`;
      const chunk = p?.chunks.get(name);
      if (p && chunk) {
        p.chunks.delete(name);
        p.bytes -= chunk.length;
        this.buffered -= chunk.length;
      }
      return;
    }
    if (p) this.drop(id, p);
    this.onTopic.get(key.model)?.delete(key.version);
    this.present.delete(id);
    await this.removals.removeVersion(key.model, key.version);
  }

  private async modelDeleted(model: string): Promise<void> {
    const prefix = `${model}/`;
    for (const [id, p] of [...this.pending]) if (id.startsWith(prefix)) this.drop(id, p);
    for (const id of [...this.present]) if (id.startsWith(prefix)) this.present.delete(id);
    this.onTopic.delete(model);
    await this.removals.removeModel(model);
  }

  /** Logs every version whose manifest was read but which still lacks chunks, `when` (e.g. "after reading the topic to its end"). */
  reportIncomplete(when: string): void {
    for (const [id, p] of this.pending) {
      if (p.manifest) this.log(`registry: ${id} not written: ${when} it still lacks ${describeMissing(p)}`);
    }
  }

  /** Drops the chunks of versions without a manifest, first seen first, while the buffer is over its limit. */
  private evictOver(keep: string): void {
    for (const [id, p] of this.pending) {
      if (this.buffered <= this.maxBufferedBytes) return;
      if (p.manifest || id === keep) continue;
      this.drop(id, p);
      this.log(`registry: dropped ${p.chunks.size} chunk(s) (${p.bytes} bytes) of ${id}: no manifest came for them and chunks held for versions pass ${this.maxBufferedBytes} bytes`);
    }
  }

  private drop(id: string, p: Pending): void {
    this.pending.delete(id);
    this.buffered -= p.bytes;
  }

  /** Writes the version of `p` if its chunks are all in and its files check out. */
  private async complete(id: string, p: Pending, manifestJustRead: boolean): Promise<void> {
    const m = p.manifest!;
    if (missingChunks(p).length > 0) {
      if (manifestJustRead) this.log(`registry: ${id} not written (yet): it lacks ${describeMissing(p)}; it is written if they arrive`);
      return;
    }
    this.drop(id, p);
    const files: Record<string, Buffer> = {};
    for (const f of m.files) {
      const data = Buffer.concat(f.chunks.map((h, i) => p.chunks.get(`${f.name}/${i}/${h}`)!));
      const actual = sha256(data);
      if (data.length !== f.size || actual !== f.sha256) {
        this.log(`registry: ${id} not written: ${f.name} assembled from its chunks is ${data.length} bytes with sha256 ${actual}, its manifest says ${f.size} bytes with sha256 ${f.sha256}`);
        return;
      }
      files[f.name] = data;
    }
    if (!this.removals.mayInstall(m.model, files['meta.json'])) {
      this.log(`registry: ${id} not written: a checkpoint of model ${m.model}, which was deleted`);
      return;
    }
    let written: boolean;
    try {
      written = await this.o.store.install(m.model, m.version, files);
    } catch (err) {
      this.log(`registry: ${id} not written: ${(err as Error).message}`);
      return;
    }
    this.present.add(id);
    if (!written) return;
    await this.removals.retry(m.model);
    this.log(`registry: mirrored ${id} (${m.files.length} files, ${m.files.reduce((n, f) => n + f.size, 0)} bytes)`);
    try {
      await this.o.onVersion?.(m.model, m.version);
    } catch (err) {
      this.log(`registry: onVersion(${id}) failed: ${(err as Error).message}`);
    }
  }
}

function missingChunks(p: Pending): string[] {
  const out: string[] = [];
  for (const f of p.manifest!.files) f.chunks.forEach((h, i) => void (p.chunks.has(`${f.name}/${i}/${h}`) || out.push(`${f.name}/${i}/${h}`)));
  return out;
}

/** "2 chunk(s): weights.bin#1 (corrupt), weights.bin#3 (missing)" for a log line. */
function describeMissing(p: Pending): string {
  const missing = missingChunks(p);
  const shown = missing.slice(0, 5).map((n) => {
    const [file, index] = n.split('/');
    return `${file}#${index} (${p.corrupt.has(n) ? 'corrupt' : 'missing'})`;
  });
  return `${missing.length} chunk(s): ${shown.join(', ')}${missing.length > 5 ? ', …' : ''}`;
}
