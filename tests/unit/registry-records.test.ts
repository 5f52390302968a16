import { describe, expect, it } from 'vitest';
import { chunkKey, manifestKey, parseRegistryKey, registryManifestSchema, sha256, splitChunks, stateKey } from '../../src/registry/index.js';

describe('registry records on Kafka', () => {
  it('reads back every key it makes', () => {
    const h = sha256(Buffer.from('x'));
    expect(parseRegistryKey(chunkKey('digits', 'v12', 'weights.bin', 3, h))).toEqual({ kind: 'chunk', model: 'digits', version: 'v12', file: 'weights.bin', index: 3, sha256: h });
    expect(parseRegistryKey(manifestKey('digits', 'v12'))).toEqual({ kind: 'manifest', model: 'digits', version: 'v12' });
    expect(parseRegistryKey(stateKey('digits'))).toEqual({ kind: 'state', model: 'digits' });
  });

  it('refuses keys that are not registry keys, or would make a path', () => {
    const h = 'a'.repeat(64);
    for (const k of ['', 'digits', 'digits/latest', 'digits/x1/manifest', '../etc/v1/manifest', `digits/v1/chunk/../0/${h}`, `digits/v1/chunk/w.bin/0/${'z'.repeat(64)}`, `digits/v1/chunk/w.bin/-1/${h}`, 'digits/v1/manifest/extra']) {
      expect(parseRegistryKey(k), k).toBeNull();
    }
  });

  it('cuts files into chunks no larger than asked, an empty file into one empty chunk', () => {
    expect(splitChunks(Buffer.alloc(5), 2).map((c) => c.length)).toEqual([2, 2, 1]);
    expect(splitChunks(Buffer.alloc(4), 2).map((c) => c.length)).toEqual([2, 2]);
    expect(splitChunks(Buffer.alloc(0), 2).map((c) => c.length)).toEqual([0]);
    const data = Buffer.from('abcdefghij');
    expect(Buffer.concat(splitChunks(data, 3))).toEqual(data);
  });

  it('checks a manifest', () => {
    const good = { format: 1, model: 'm', version: 'v1', files: [{ name: 'meta.json', size: 1, sha256: 'a'.repeat(64), chunks: ['a'.repeat(64)] }], publishedAt: 'now' };
    expect(registryManifestSchema.safeParse(good).success).toBe(true);
    expect(registryManifestSchema.safeParse({ ...good, version: '../v1' }).success).toBe(false);
    expect(registryManifestSchema.safeParse({ ...good, files: [{ ...good.files[0], name: '../x' }] }).success).toBe(false);
    expect(registryManifestSchema.safeParse({ ...good, files: [] }).success).toBe(false);
  });
});
