import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import kafkajs, { type Kafka, type Message } from 'kafkajs';
import { ConfigError, InvalidInputError, SerialQueue, UpstreamError, type RegistryConfig } from '../core/index.js';
import { LazyProducer } from '../ingest/lazy-producer.js';
import { ensureTopics, TOPIC_NOT_READY, TOPIC_READY_MS } from '../ingest/topics.js';
import { chunkKey, DEFAULT_CHUNK_BYTES, manifestKey, REGISTRY_MAX_MESSAGE_BYTES, sha256, splitChunks, stateKey, type RegistryManifest } from './registry-records.js';
import type { VersionState } from './version-meta.js';
import type { VersionStore } from './version-store.js';

/**
 * Creates the registry topic when missing: compacted (each key's newest record
 * is kept forever), with room for a 1 MiB chunk, in segments of at most 256 MiB
 * or an hour — compaction never touches the segment being written, so that is
 * as long as the records of versions removed by retention (tombstoned) stay on
 * disk. An existing topic is checked:
 * one that retention may empty, or whose message limit is below `chunkBytes`,
 * fails with a {@link ConfigError} naming the key to change.
 */
export async function ensureRegistryTopic(kafka: Kafka, topic: string, chunkBytes = 0): Promise<void> {
  await ensureTopics(kafka, [
    {
      topic,
      configEntries: [
        { name: 'cleanup.policy', value: 'compact' },
        { name: 'max.message.bytes', value: String(REGISTRY_MAX_MESSAGE_BYTES) },
        { name: 'segment.bytes', value: String(256 * 1024 * 1024) },
        { name: 'segment.ms', value: '3600000' },
      ],
    },
  ]);
  const admin = kafka.admin();
  await admin.connect();
  try {
    // kafkajs is CommonJS: Node sees this export on its default object only.
    const { ConfigResourceTypes } = kafkajs;
    const request = { resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['cleanup.policy', 'max.message.bytes'] }], includeSynonyms: false };
    // A broker that has not heard of a topic created a moment ago answers UNKNOWN_TOPIC_OR_PARTITION: asked again, for a while.
    const deadline = Date.now() + TOPIC_READY_MS;
    let described;
    while (!described) {
      described = await admin.describeConfigs(request).catch(async (err: unknown) => {
        const type = (err as { type?: string }).type ?? '';
        if (!TOPIC_NOT_READY.has(type)) throw err;
        if (Date.now() > deadline) {
          throw new UpstreamError(`registry topic "${topic}" not ready after ${TOPIC_READY_MS} ms: the broker asked for its settings still answers ${type}`, { topic });
        }
        await new Promise((r) => setTimeout(r, 200));
        return undefined;
      });
    }
    const { resources } = described;
    const value = (name: string): string | undefined => resources[0]?.configEntries.find((e) => e.configName === name)?.configValue;
    const policy = value('cleanup.policy');
    if (policy !== undefined && policy !== 'compact') {
      throw new ConfigError('registry.topic', `topic "${topic}" has cleanup.policy=${policy}: retention would delete versions; use a topic with cleanup.policy=compact only`);
    }
    const limit = Number(value('max.message.bytes'));
    // Room for the key and the record framing besides the chunk.
    if (Number.isFinite(limit) && limit < chunkBytes + 4096) {
      throw new ConfigError('registry.chunkBytes', `${chunkBytes} bytes do not fit in a record of topic "${topic}" (max.message.bytes=${limit}); lower registry.chunkBytes or raise the topic's max.message.bytes`);
    }
  } finally {
    await admin.disconnect();
  }
}

export interface KafkaRegistryPublisherOptions {
  kafka: Kafka;
  /** The compacted registry topic (created when missing). */
  topic: string;
  /** The local registry the versions are read from. */
  store: VersionStore;
  /**
   * Largest chunk of a version file in one record (at most 1 MiB).
   * @defaultValue 524288 (512 KiB)
   */
  chunkBytes?: number;
}

/**
 * Publishes versions of a local registry to a compacted Kafka topic, so
 * machines that share no disk can mirror them ({@link KafkaRegistryMirror}).
 * Each file of the version directory goes out in chunks keyed by their sha256,
 * then a manifest with every file's size and sha256; writes are idempotent and
 * acknowledged by all in-sync replicas, so a resolved `publish` is durable.
 *
 * @example
 * const publisher = new KafkaRegistryPublisher({ kafka, topic: 'streamtune.registry', store });
 * const meta = await store.save('digits', learner, info);
 * await publisher.publish('digits', meta.version);
 */
export class KafkaRegistryPublisher {
  private readonly producer: LazyProducer;
  private readonly chunkBytes: number;
  private ready: Promise<void> | undefined;
  /** Publishes run one after the other, in the order asked. */
  private readonly queue = new SerialQueue('the registry publisher');
  private closing: Promise<void> | undefined;

  constructor(private readonly o: KafkaRegistryPublisherOptions) {
    this.chunkBytes = o.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    if (!Number.isInteger(this.chunkBytes) || this.chunkBytes < 1 || this.chunkBytes > 1024 * 1024) {
      throw new InvalidInputError('bad_chunk_bytes', 'chunkBytes', `chunkBytes must be an integer from 1 to 1048576, not ${this.chunkBytes}`);
    }
    this.producer = new LazyProducer(o.kafka);
  }

  get topic(): string {
    return this.o.topic;
  }

  /**
   * Publishes every file of `model@version`: chunks first, then the manifest;
   * resolves once all in-sync replicas have them. Publishes run one at a time, in
   * the order asked. Publishing a version again is harmless: the same keys get
   * the same bytes.
   */
  publish(model: string, version: string): Promise<RegistryManifest> {
    return this.queue.run(() => this.publishNow(model, version));
  }

  private async publishNow(model: string, version: string): Promise<RegistryManifest> {
    await this.ensureTopic();
    const dir = this.o.store.versionDir(model, version);
    return sendVersionRecords((messages) => this.producer.send(this.o.topic, messages), { model, version, dir, files: await this.o.store.files(model, version) }, this.chunkBytes);
  }

  /**
   * Publishes the model's operator state (pinned, rejected versions): `state` as
   * the change that made it saved it (a mirror may meanwhile have written an older
   * record into `state.json`), else as this store's `state.json` holds it. Call it
   * where that state is changed (pin, unpin, rollback), not after every version,
   * or a stale copy would win.
   */
  publishState(model: string, state?: VersionState): Promise<void> {
    return this.queue.run(async () => {
      await this.ensureTopic();
      const value = state ?? (await this.o.store.readState(model));
      await this.producer.send(this.o.topic, [{ key: stateKey(model), value: JSON.stringify(value) }]);
    });
  }

  /**
   * Writes tombstones (null values) for `keys`, in order, acknowledged by all
   * in-sync replicas: compaction then frees every record under them. Queued
   * behind the publishes asked for before.
   */
  tombstone(keys: readonly string[]): Promise<void> {
    return this.queue.run(async () => {
      if (keys.length === 0) return;
      await this.ensureTopic();
      for (let at = 0; at < keys.length; at += 500) await this.producer.send(this.o.topic, keys.slice(at, at + 500).map((key) => ({ key, value: null })));
    });
  }

  /** Finishes the publishes asked for, then disconnects (idempotent; concurrent calls share one promise). */
  close(): Promise<void> {
    this.closing ??= this.queue.close().then(() => this.producer.close());
    return this.closing;
  }

  /** Checks the topic once; a failure (broker away, a misconfigured topic) is tried again on the next call. */
  private ensureTopic(): Promise<void> {
    this.ready ??= ensureRegistryTopic(this.o.kafka, this.o.topic, this.chunkBytes).catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }
}

/** A version's files in a directory (its place in the store, or a staged copy not installed yet). */
export interface VersionFiles {
  model: string;
  version: string;
  dir: string;
  files: string[];
}

/**
 * Sends a version as registry records through `send`: each file in chunks keyed
 * by their sha256 (one chunk per call: a broker checks its message limit against
 * a whole request), then the manifest with every file's size and sha256.
 */
export async function sendVersionRecords(send: (messages: Message[]) => Promise<unknown>, v: VersionFiles, chunkBytes: number): Promise<RegistryManifest> {
  const manifest: RegistryManifest = { format: 1, model: v.model, version: v.version, files: [], publishedAt: new Date().toISOString() };
  for (const name of v.files) {
    const data = await fs.readFile(path.join(v.dir, name));
    const chunks = splitChunks(data, chunkBytes);
    const hashes = chunks.map(sha256);
    for (const [i, chunk] of chunks.entries()) await send([{ key: chunkKey(v.model, v.version, name, i, hashes[i]!), value: chunk }]);
    manifest.files.push({ name, size: data.length, sha256: sha256(data), chunks: hashes });
  }
  await send([{ key: manifestKey(v.model, v.version), value: JSON.stringify(manifest) }]);
  return manifest;
}

/**
 * The keys {@link sendVersionRecords} gives a version's records, rebuilt from its
 * files (manifest first, then every chunk): what a tombstone of the version must name.
 */
export async function versionRecordKeys(v: VersionFiles, chunkBytes: number): Promise<string[]> {
  const keys = [manifestKey(v.model, v.version)];
  for (const name of v.files) {
    const chunks = splitChunks(await fs.readFile(path.join(v.dir, name)), chunkBytes);
    chunks.forEach((chunk, i) => keys.push(chunkKey(v.model, v.version, name, i, sha256(chunk))));
  }
  return keys;
}

/**
 * The publisher a trainer needs when `registry.mode` is `kafka`; null in mode `dir`.
 *
 * @example
 * const publisher = registryPublisher(kafka, config, store);
 * await publisher?.publish(meta.model, meta.version);
 */
export function registryPublisher(kafka: Kafka, config: { registry: RegistryConfig }, store: VersionStore): KafkaRegistryPublisher | null {
  return config.registry.mode === 'kafka' ? new KafkaRegistryPublisher({ kafka, topic: config.registry.topic, store, chunkBytes: config.registry.chunkBytes }) : null;
}
