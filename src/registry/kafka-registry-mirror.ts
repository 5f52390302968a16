import * as os from 'node:os';
import type { Consumer, Kafka } from 'kafkajs';
import { z } from 'zod';
import { ClosedError, DeadlineExceededError } from '../core/index.js';
import { ensureRegistryTopic } from './kafka-registry-publisher.js';
import { parseRegistryKey, registryManifestSchema, sha256, type RegistryManifest } from './registry-records.js';
import { isVersionName, type VersionState, type VersionStore } from './version-store.js';

export interface KafkaRegistryMirrorOptions {
  kafka: Kafka;
  /** The compacted registry topic (created when missing). */
  topic: string;
  /** The local registry versions are written into. */
  store: VersionStore;
  /**
   * Consumer group of this mirror alone; nothing is ever committed, every start reads the topic from its beginning.
   * @defaultValue `streamtune-registry-mirror-<host>-<pid>-<ms>`
   */
  groupId?: string;
  /** Mirror these models only. @defaultValue every model on the topic */
  models?: string[];
  /** A version was written into the local store (not called for versions it had already). */
  onVersion?(model: string, version: string): void | Promise<void>;
  /** The operator state of a model was written into the local store. */
  onState?(model: string, state: VersionState): void | Promise<void>;
  log?(line: string): void;
}

const stateSchema = z.object({ pinned: z.string().refine(isVersionName).nullable(), rejected: z.array(z.string().refine(isVersionName)) });

/** Chunks read for a version not written yet, and its manifest once read. */
interface Pending {
  chunks: Map<string, Buffer>;
  corrupt: Set<string>;
  manifest?: RegistryManifest;
}

/**
 * Mirrors a registry published on a compacted Kafka topic
 * ({@link KafkaRegistryPublisher}) into a local {@link VersionStore}, so a
 * machine with an empty disk gets every version from the cluster alone. Reads
 * the topic from its beginning on every start; a version is written (temporary
 * directory, then rename, as `VersionStore.save` does) once its manifest and
 * every chunk are in and each file's size and sha256 match the manifest.
 * Versions the store has already are skipped; incomplete or corrupt ones are
 * not written, and a log line says why.
 *
 * @example
 * const mirror = new KafkaRegistryMirror({ kafka, topic: 'streamtune.registry', store, onVersion: (m, v) => console.log(m, v) });
 * await mirror.start();
 * await mirror.caughtUp(); // every version published before start is in `store`
 */
export class KafkaRegistryMirror {
  private readonly consumer: Consumer;
  private readonly log: (line: string) => void;
  private readonly pending = new Map<string, Pending>();
  private readonly present = new Set<string>();
  private readonly waiters = new Map<string, (() => void)[]>();
  private readonly ends = new Map<number, number>();
  private readonly caught: Promise<void>;
  private markCaughtUp!: () => void;
  private failCaughtUp!: (err: Error) => void;
  private isCaughtUp = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly o: KafkaRegistryMirrorOptions) {
    this.log = o.log ?? (() => undefined);
    this.consumer = o.kafka.consumer({ groupId: o.groupId ?? `streamtune-registry-mirror-${os.hostname()}-${process.pid}-${Date.now()}`, maxWaitTimeInMs: 100 });
    this.caught = new Promise<void>((resolve, reject) => {
      this.markCaughtUp = resolve;
      this.failCaughtUp = reject;
    });
    this.caught.catch(() => undefined);
  }

  /** Connects and starts reading the topic from its beginning; see {@link caughtUp}. */
  async start(): Promise<void> {
    try {
      await ensureRegistryTopic(this.o.kafka, this.o.topic);
      const admin = this.o.kafka.admin();
      await admin.connect();
      try {
        for (const p of await admin.fetchTopicOffsets(this.o.topic)) {
          if (Number(p.high) > Number(p.low)) this.ends.set(p.partition, Number(p.high));
        }
      } finally {
        await admin.disconnect();
      }
      await this.consumer.connect();
      await this.consumer.subscribe({ topic: this.o.topic, fromBeginning: true });
      await this.consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          await this.handle(message.key?.toString() ?? null, message.value, message.offset);
          const end = this.ends.get(partition);
          if (end !== undefined && Number(message.offset) + 1 >= end) this.ends.delete(partition);
          this.checkCaughtUp();
        },
      });
      this.checkCaughtUp();
    } catch (err) {
      this.failCaughtUp(err as Error);
      throw err;
    }
  }

  /** Resolves once every record on the topic when {@link start} was called has been read (and its versions written). */
  caughtUp(): Promise<void> {
    return this.caught;
  }

  /** Resolves once `model@version` is in the local store (at once if it is already). */
  async waitForVersion(model: string, version: string, timeoutMs = 60_000): Promise<void> {
    if (await this.has(model, version)) return;
    if (this.closing) throw new ClosedError('the registry mirror');
    const key = `${model}/${version}`;
    await new Promise<void>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.set(key, (this.waiters.get(key) ?? []).filter((w) => w !== done));
        reject(new DeadlineExceededError(`${key} did not arrive on ${this.o.topic} within ${timeoutMs} ms`, { model, version, topic: this.o.topic }));
      }, timeoutMs);
      this.waiters.set(key, [...(this.waiters.get(key) ?? []), done]);
      // It may have been written while this call looked.
      void this.has(model, version).then((h) => h && done(), reject);
    });
  }

  close(): Promise<void> {
    this.closing ??= this.consumer.disconnect();
    return this.closing;
  }

  private checkCaughtUp(): void {
    if (this.isCaughtUp || this.ends.size > 0) return;
    this.isCaughtUp = true;
    for (const [key, p] of this.pending) {
      if (p.manifest) this.log(`registry: ${key} not written: after reading ${this.o.topic} to its end it still lacks ${describeMissing(p)}`);
    }
    this.markCaughtUp();
  }

  private async has(model: string, version: string): Promise<boolean> {
    const key = `${model}/${version}`;
    if (this.present.has(key)) return true;
    if (!(await this.o.store.has(model, version))) return false;
    this.present.add(key);
    return true;
  }

  private async handle(rawKey: string | null, value: Buffer | null, offset: string): Promise<void> {
    const key = rawKey === null ? null : parseRegistryKey(rawKey);
    if (!key) {
      this.log(`registry record at offset ${offset} of ${this.o.topic} ignored: key ${JSON.stringify(rawKey?.slice(0, 200) ?? null)} is not a registry key`);
      return;
    }
    if (value === null || (this.o.models && !this.o.models.includes(key.model))) return;
    try {
      if (key.kind === 'state') {
        const state = stateSchema.parse(JSON.parse(value.toString('utf8')));
        await this.o.store.writeState(key.model, state);
        await this.o.onState?.(key.model, state);
        return;
      }
      if (await this.has(key.model, key.version)) return;
      const id = `${key.model}/${key.version}`;
      const p = this.pending.get(id) ?? { chunks: new Map<string, Buffer>(), corrupt: new Set<string>() };
      this.pending.set(id, p);
      if (key.kind === 'chunk') {
        const name = `${key.file}/${key.index}/${key.sha256}`;
        const actual = sha256(value);
        if (actual !== key.sha256) {
          p.corrupt.add(name);
          this.log(`registry: chunk ${key.index} of ${key.file} of ${id} at offset ${offset} dropped as corrupt: its bytes hash to sha256 ${actual}, its key says ${key.sha256}`);
          return;
        }
        p.chunks.set(name, value);
        if (p.manifest) await this.complete(id, p, false);
        return;
      }
      const manifest = registryManifestSchema.parse(JSON.parse(value.toString('utf8')));
      if (manifest.model !== key.model || manifest.version !== key.version) throw new Error(`the manifest names ${manifest.model}/${manifest.version}`);
      p.manifest = manifest;
      await this.complete(id, p, true);
    } catch (err) {
      this.log(`registry record ${rawKey} at offset ${offset} ignored: ${(err as Error).message.replace(/\s+/g, ' ').slice(0, 300)}`);
    }
  }

  /** Writes the version of `p` if its chunks are all in and its files check out. */
  private async complete(id: string, p: Pending, manifestJustRead: boolean): Promise<void> {
    const m = p.manifest!;
    if (missingChunks(p).length > 0) {
      if (manifestJustRead) this.log(`registry: ${id} not written (yet): it lacks ${describeMissing(p)}; it is written if they arrive`);
      return;
    }
    const files: Record<string, Buffer> = {};
    for (const f of m.files) {
      const data = Buffer.concat(f.chunks.map((h, i) => p.chunks.get(`${f.name}/${i}/${h}`)!));
      const actual = sha256(data);
      if (data.length !== f.size || actual !== f.sha256) {
        this.pending.delete(id);
        this.log(`registry: ${id} not written: ${f.name} assembled from its chunks is ${data.length} bytes with sha256 ${actual}, its manifest says ${f.size} bytes with sha256 ${f.sha256}`);
        return;
      }
      files[f.name] = data;
    }
    this.pending.delete(id);
    let written: boolean;
    try {
      written = await this.o.store.install(m.model, m.version, files);
    } catch (err) {
      this.log(`registry: ${id} not written: ${(err as Error).message}`);
      return;
    }
    this.present.add(id);
    for (const w of this.waiters.get(id) ?? []) w();
    this.waiters.delete(id);
    if (!written) return;
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

/** "chunk(s) weights.bin#1 (corrupt), …" for a log line. */
function describeMissing(p: Pending): string {
  const missing = missingChunks(p);
  const shown = missing.slice(0, 5).map((n) => {
    const [file, index] = n.split('/');
    return `${file}#${index}${p.corrupt.has(n) ? ' (corrupt)' : ' (missing)'}`;
  });
  return `${missing.length} chunk(s): ${shown.join(', ')}${missing.length > 5 ? ', …' : ''}`;
}
