import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/core/index.js';
import { chunkKey, manifestKey, RegistryAssembler, sha256, splitChunks, stateKey, VersionStore, type RegistryManifest } from '../../src/registry/index.js';

type Rec = { key: string; value: Buffer | null };

/** The files of a version as a store holds them (the assembler never loads weights, so any bytes do). */
function versionFiles(version: string, weightBytes: number, promoted = true, parent: string | null = null): { [name: string]: Buffer } {
  const weights = Buffer.alloc(weightBytes);
  for (let i = 0; i < weightBytes; i++) weights[i] = (i * 31 + Number(version.slice(1))) % 251;
  const meta = { model: 'm', version, parent, offsets: { 'labels/0': '7' }, promotion: { promoted } };
  return { 'meta.json': Buffer.from(JSON.stringify(meta)), 'weights.bin': weights, 'trainer-state.json': Buffer.from('{"seen":[]}') };
}

/** The records a publisher makes for these files: chunks, then the manifest. */
function records(version: string, files: { [name: string]: Buffer }, chunkBytes = 100): { chunks: Rec[]; manifest: Rec } {
  const manifest: RegistryManifest = { format: 1, model: 'm', version, files: [], publishedAt: 'now' };
  const chunks: Rec[] = [];
  for (const [name, data] of Object.entries(files)) {
    const parts = splitChunks(data, chunkBytes);
    parts.forEach((c, i) => chunks.push({ key: chunkKey('m', version, name, i, sha256(c)), value: c }));
    manifest.files.push({ name, size: data.length, sha256: sha256(data), chunks: parts.map(sha256) });
  }
  return { chunks, manifest: { key: manifestKey('m', version), value: Buffer.from(JSON.stringify(manifest)) } };
}

describe('RegistryAssembler', () => {
  let dir: string;
  let store: VersionStore;
  let log: string[];
  let written: string[];
  const assembler = (opts: { maxBufferedBytes?: number; models?: string[] } = {}): RegistryAssembler =>
    new RegistryAssembler({ store, log: (l) => log.push(l), onVersion: (m, v) => void written.push(`${m}@${v}`), ...opts });
  const feed = async (a: RegistryAssembler, rs: Rec[]): Promise<void> => {
    for (const [i, r] of rs.entries()) await a.add(r.key, r.value, `#${i}`);
  };

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-assembler-'));
    store = new VersionStore(dir);
    log = [];
    written = [];
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('writes a version whose records come in any order, once, byte for byte, and marks it latest', async () => {
    const files = versionFiles('v1', 450);
    const { chunks, manifest } = records('v1', files);
    const a = assembler();
    // Compaction may leave the manifest before chunks, and a republished chunk twice.
    await feed(a, [manifest, ...chunks.slice().reverse(), chunks[0]!]);
    expect(written).toEqual(['m@v1']);
    for (const [name, data] of Object.entries(files)) expect(await fs.readFile(path.join(store.versionDir('m', 'v1'), name))).toEqual(data);
    expect(await store.latest('m')).toBe('v1');
    expect(a.bufferedBytes).toBe(0);
    expect((await fs.readdir(path.join(dir, 'm', 'versions'))).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('skips versions the store has, holding none of their chunks', async () => {
    const { chunks, manifest } = records('v1', versionFiles('v1', 450));
    await feed(assembler(), [...chunks, manifest]);
    const before = await fs.stat(path.join(store.versionDir('m', 'v1'), 'weights.bin'));
    written = [];
    const again = assembler();
    await feed(again, [...chunks, manifest]);
    expect(written).toEqual([]);
    expect(again.bufferedBytes).toBe(0);
    expect((await fs.stat(path.join(store.versionDir('m', 'v1'), 'weights.bin'))).mtimeMs).toBe(before.mtimeMs);
  });

  it('drops a corrupt chunk, writes nothing while it lacks the good one, and says why', async () => {
    const { chunks, manifest } = records('v2', versionFiles('v2', 450));
    const at = chunks.findIndex((c) => c.key.includes('/weights.bin/2/'));
    const bad = { key: chunks[at]!.key, value: Buffer.from(chunks[at]!.value!).fill(0) };
    const a = assembler();
    await feed(a, [...chunks.slice(0, at), bad, ...chunks.slice(at + 1), manifest]);
    expect(written).toEqual([]);
    expect(await store.has('m', 'v2')).toBe(false);
    expect(log.some((l) => /chunk 2 of weights\.bin of m\/v2 \(#\d+\) dropped as corrupt/.test(l))).toBe(true);
    expect(log.at(-1)).toMatch(/m\/v2 not written \(yet\): it lacks 1 chunk\(s\): weights\.bin#2 \(corrupt\)/);
    a.reportIncomplete('at the end of the topic');
    expect(log.at(-1)).toMatch(/m\/v2 not written: at the end of the topic it still lacks 1 chunk\(s\): weights\.bin#2 \(corrupt\)/);
    // The good bytes under the same key (a republish) complete it.
    await a.add(chunks[at]!.key, chunks[at]!.value, 'later');
    expect(written).toEqual(['m@v2']);
  });

  it('does not write a version whose file does not match its manifest', async () => {
    const files = versionFiles('v3', 300);
    const { chunks, manifest } = records('v3', files);
    const m = JSON.parse(manifest.value!.toString()) as RegistryManifest;
    m.files.find((f) => f.name === 'weights.bin')!.size = 301;
    await feed(assembler(), [...chunks, { key: manifest.key, value: Buffer.from(JSON.stringify(m)) }]);
    expect(written).toEqual([]);
    expect(await store.has('m', 'v3')).toBe(false);
    expect(log.at(-1)).toMatch(/m\/v3 not written: weights\.bin assembled from its chunks is 300 bytes .* its manifest says 301 bytes/);
  });

  it('ignores what is not a registry record, with a line saying so, and tombstones and other models silently', async () => {
    const a = assembler({ models: ['m'] });
    await a.add('m/latest', Buffer.from('v1'), '#0');
    await a.add(manifestKey('m', 'v1'), Buffer.from('{not json'), '#1');
    await a.add(manifestKey('m', 'v1'), null, '#2');
    const other = records('v1', versionFiles('v1', 10));
    await feed(a, [...other.chunks.map((c) => ({ ...c, key: c.key.replace(/^m\//, 'other/') })), { ...other.manifest, key: manifestKey('other', 'v1') }]);
    expect(log).toHaveLength(2);
    expect(log[0]).toMatch(/#0 ignored: key "m\/latest" is not a registry key/);
    expect(log[1]).toMatch(/m\/v1\/manifest \(#1\) ignored/);
    expect(written).toEqual([]);
    expect(a.bufferedBytes).toBe(0);
  });

  it('bounds the chunks held for versions that never got a manifest', async () => {
    const orphan = records('v1', versionFiles('v1', 1000));
    const next = records('v2', versionFiles('v2', 1000));
    const a = assembler({ maxBufferedBytes: 1500 });
    await feed(a, orphan.chunks);
    await feed(a, [...next.chunks, next.manifest]);
    expect(written).toEqual(['m@v2']);
    expect(log.some((l) => /dropped \d+ chunk\(s\) \(\d+ bytes\) of m\/v1: no manifest came/.test(l))).toBe(true);
    expect(a.bufferedBytes).toBe(0);
  });

  it('writes the operator state; marks latest only promoted versions newer than LATEST', async () => {
    const a = assembler();
    await a.add(stateKey('m'), Buffer.from(JSON.stringify({ pinned: 'v1', rejected: ['v2'] })), '#0');
    expect(await store.readState('m')).toEqual({ pinned: 'v1', rejected: ['v2'] });
    await a.add(stateKey('m'), Buffer.from(JSON.stringify({ pinned: '../x', rejected: [] })), '#1');
    expect(log.at(-1)).toMatch(/m\/state \(#1\) ignored/);
    for (const [v, promoted] of [['v2', true], ['v3', false], ['v1', true]] as const) {
      const { chunks, manifest } = records(v, versionFiles(v, 50, promoted));
      await feed(a, [...chunks, manifest]);
    }
    expect(written).toEqual(['m@v2', 'm@v3', 'm@v1']);
    expect(await store.latest('m')).toBe('v2');
    expect(await store.newest('m')).toBe('v3');
  });
});

describe('RegistryAssembler and tombstones', () => {
  let dir: string;
  let store: VersionStore;
  let log: string[];
  let removed: string[];
  const tombstone = (key: string): Rec => ({ key, value: null });
  const versionRecords = (v: string, opts: { promoted?: boolean; parent?: string | null } = {}): Rec[] => {
    const { chunks, manifest } = records(v, versionFiles(v, 250, opts.promoted ?? true, opts.parent === undefined ? (v === 'v1' ? null : `v${Number(v.slice(1)) - 1}`) : opts.parent));
    return [...chunks, manifest];
  };
  const tombstones = (v: string): Rec[] => {
    const rs = versionRecords(v);
    const manifest = rs.at(-1)!;
    return [manifest, ...rs.slice(0, -1)].map((r) => tombstone(r.key));
  };
  let a: RegistryAssembler;
  const feed = async (rs: Rec[]): Promise<void> => {
    for (const [i, r] of rs.entries()) await a.add(r.key, r.value, `#${i}`);
  };

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-tombstones-'));
    store = new VersionStore(dir);
    log = [];
    removed = [];
    a = new RegistryAssembler({ store, log: (l) => log.push(l), onRemoved: (m, v) => void removed.push(v ? `${m}@${v}` : m) });
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('knows every key of each version on the topic, from its manifest, until the version is tombstoned', async () => {
    await feed(versionRecords('v1'));
    const keys = versionRecords('v1').map((r) => r.key);
    expect([...a.keysOf('m', 'v1')!].sort()).toEqual(keys.sort());
    await feed(versionRecords('v2'));
    await feed(tombstones('v1'));
    expect(a.keysOf('m', 'v1')).toBeUndefined();
    // A replica waiting for an announced version stops waiting for one the topic removed; not for one yet to come.
    expect(a.gone('m', 'v1')).toBe(true);
    expect(a.gone('m', 'v3')).toBe(false);
    expect(a.gone('m', 'v2')).toBe(false);
  });

  it('removes a version whose manifest is tombstoned, but keeps the newest, latest or pinned one here until it is not', async () => {
    for (const v of ['v1', 'v2', 'v3']) await feed(versionRecords(v));
    await feed([...tombstones('v1'), ...tombstones('v3')]);
    expect(await store.list('m')).toEqual(['v2', 'v3']);
    expect(removed).toEqual(['m@v1']);
    expect(log.some((l) => /m\/v3 was deleted on the topic; kept here while it is this registry's newest, latest or pinned version/.test(l))).toBe(true);
    // v2 pinned, then tombstoned: kept while pinned.
    await a.add(stateKey('m'), Buffer.from(JSON.stringify({ pinned: 'v2', rejected: [] })), 'pin');
    await feed(tombstones('v2'));
    expect(await store.list('m')).toEqual(['v2', 'v3']);
    // A newer version arrives (v3 no longer newest nor latest), and the pin goes: both go.
    await feed(versionRecords('v4'));
    expect(await store.list('m')).toEqual(['v2', 'v4']);
    await a.add(stateKey('m'), Buffer.from(JSON.stringify({ pinned: null, rejected: [] })), 'unpin');
    expect(await store.list('m')).toEqual(['v4']);
    expect(removed).toEqual(['m@v1', 'm@v3', 'm@v2']);
  });

  it('drops buffered chunks that get tombstoned', async () => {
    const rs = versionRecords('v1');
    await feed(rs.slice(0, -1));
    expect(a.bufferedBytes).toBeGreaterThan(0);
    await feed(rs.slice(0, -1).map((r) => tombstone(r.key)));
    expect(a.bufferedBytes).toBe(0);
  });

  it('removes the model on a tombstone of its state, ignores a checkpoint of it that raced the deletion, and takes a new root version', async () => {
    for (const v of ['v1', 'v2']) await feed(versionRecords(v));
    await a.add(stateKey('m'), null, 'delete');
    expect(await store.exists('m')).toBe(false);
    expect(removed).toEqual(['m']);
    await feed(versionRecords('v3'));
    expect(await store.exists('m')).toBe(false);
    expect(log.at(-1)).toMatch(/m\/v3 not written: a checkpoint of model m, which was deleted/);
    // Created again (`models create`): a root version.
    await feed(versionRecords('v1', { parent: null }));
    expect(await store.list('m')).toEqual(['v1']);
  });

  it('prunes, once caught up, local versions the topic no longer holds that the retention rule drops', async () => {
    const policy = { keepVersions: 2, keepRollbackTargets: 0, keepForMs: 0 };
    for (const v of ['v1', 'v2', 'v3', 'v4', 'v5']) await feed(versionRecords(v));
    // A fresh reader: the topic holds v4 and v5 only (v1–v3 tombstoned and compacted away while this one was down).
    a = new RegistryAssembler({ store, log: (l) => log.push(l) });
    for (const v of ['v4', 'v5']) await feed(versionRecords(v));
    await store.writeState('m', { pinned: 'v1', rejected: [] });
    await a.pruneUnlisted(policy);
    expect(await store.list('m')).toEqual(['v1', 'v4', 'v5']);
    expect(log.at(-1)).toMatch(/removed 2 version\(s\) of m that the topic no longer holds: v2, v3/);
  });
});

describe('VersionStore.install', () => {
  it('refuses files a version cannot hold and a meta.json naming another version', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-install-'));
    try {
      const store = new VersionStore(dir);
      const files = versionFiles('v1', 10);
      await expect(store.install('m', 'v1', { ...files, '../evil': Buffer.from('') })).rejects.toBeInstanceOf(InvalidInputError);
      await expect(store.install('m', 'v2', files)).rejects.toThrow(/no meta\.json naming that model and version/);
      await expect(store.install('m', '../v1', files)).rejects.toBeInstanceOf(InvalidInputError);
      expect(await store.install('m', 'v1', files)).toBe(true);
      expect(await store.install('m', 'v1', versionFiles('v1', 20))).toBe(false);
      expect((await fs.readFile(path.join(store.versionDir('m', 'v1'), 'weights.bin'))).length).toBe(10);
      expect(await store.files('m', 'v1')).toEqual(['meta.json', 'trainer-state.json', 'weights.bin']);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
