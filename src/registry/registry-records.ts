import { createHash } from 'node:crypto';
import { z } from 'zod';
import { isVersionName } from './version-meta.js';

/**
 * The records of a registry kept on a compacted Kafka topic. Keys:
 *
 * - `<model>/<version>/chunk/<file>/<index>/<sha256>` — bytes of one chunk of a version file;
 * - `<model>/<version>/manifest` — the version's {@link RegistryManifest} (JSON), produced after its chunks;
 * - `<model>/state` — the operator state (pinned, rejected) as `state.json` holds it.
 *
 * A chunk key names its content's sha256, so compaction only ever replaces a
 * chunk by identical bytes and never loses one a manifest needs, even when a
 * version is published twice. Model names and file names hold no `/`.
 *
 * A tombstone (null value) deletes what its key names: retention tombstones every
 * key of a version it removes (manifest first); a tombstone of `<model>/state`
 * deletes the whole model (`streamtune models delete`).
 */
export type RegistryKey =
  | { kind: 'chunk'; model: string; version: string; file: string; index: number; sha256: string }
  | { kind: 'manifest'; model: string; version: string }
  | { kind: 'state'; model: string };

/** Chunk size when none is configured: well under the brokers' default 1 MiB message limit. */
export const DEFAULT_CHUNK_BYTES = 512 * 1024;
/** The registry topic's `max.message.bytes`: the largest chunk (1 MiB) with room for its key and framing. */
export const REGISTRY_MAX_MESSAGE_BYTES = 1024 * 1024 + 64 * 1024;

const SHA256 = /^[0-9a-f]{64}$/;
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** What a version consists of: each file's size, sha256 and the sha256 of each of its chunks, in order. */
export const registryManifestSchema = z
  .object({
    format: z.literal(1),
    model: z.string().regex(NAME),
    version: z.string().refine(isVersionName, 'a version name (v1, v2, …)'),
    files: z
      .array(
        z
          .object({
            name: z.string().regex(NAME),
            size: z.number().int().min(0),
            sha256: z.string().regex(SHA256),
            chunks: z.array(z.string().regex(SHA256)),
          })
          .strict(),
      )
      .min(1),
    publishedAt: z.string(),
  })
  .strict();

export type RegistryManifest = z.infer<typeof registryManifestSchema>;

export const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

export function chunkKey(model: string, version: string, file: string, index: number, hash: string): string {
  return `${model}/${version}/chunk/${file}/${index}/${hash}`;
}

export const manifestKey = (model: string, version: string): string => `${model}/${version}/manifest`;

/**
 * Every key of a version's records as its manifest lists them: the manifest's
 * own first (a tombstone of it removes the version as a whole), then each chunk's.
 */
export function manifestKeys(m: RegistryManifest): string[] {
  return [manifestKey(m.model, m.version), ...m.files.flatMap((f) => f.chunks.map((hash, i) => chunkKey(m.model, m.version, f.name, i, hash)))];
}
export const stateKey = (model: string): string => `${model}/state`;

/**
 * Reads a registry record key; null for a key this format does not know.
 *
 * @example
 * parseRegistryKey('digits/v3/manifest'); // { kind: 'manifest', model: 'digits', version: 'v3' }
 */
export function parseRegistryKey(key: string): RegistryKey | null {
  const parts = key.split('/');
  const [model, second] = parts;
  if (!model || !NAME.test(model)) return null;
  if (parts.length === 2 && second === 'state') return { kind: 'state', model };
  if (!second || !isVersionName(second)) return null;
  if (parts.length === 3 && parts[2] === 'manifest') return { kind: 'manifest', model, version: second };
  const [, , tag, file, index, hash] = parts;
  if (parts.length !== 6 || tag !== 'chunk' || !file || !NAME.test(file) || !/^\d{1,9}$/.test(index ?? '') || !SHA256.test(hash ?? '')) return null;
  return { kind: 'chunk', model, version: second, file, index: Number(index), sha256: hash! };
}

/**
 * Cuts a file into chunks of at most `chunkBytes` (an empty file is one empty chunk).
 *
 * @example
 * splitChunks(Buffer.alloc(5), 2).map((c) => c.length); // [2, 2, 1]
 */
export function splitChunks(data: Buffer, chunkBytes: number): Buffer[] {
  if (data.length === 0) return [data];
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += chunkBytes) out.push(data.subarray(at, at + chunkBytes));
  return out;
}
