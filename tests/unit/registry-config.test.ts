import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/core/index.js';

describe('the registry configuration', () => {
  it('keeps versions in a local directory unless told otherwise', () => {
    expect(loadConfig({}).registry).toEqual({ mode: 'dir', topic: 'streamtune.registry', chunkBytes: 512 * 1024, retention: { keepVersions: 20, keepRollbackTargets: 2, keepForMs: 0 } });
    const c = loadConfig({ env: { STREAMTUNE_REGISTRY_MODE: 'kafka', STREAMTUNE_REGISTRY_TOPIC: 'reg', STREAMTUNE_REGISTRY_KEEP_VERSIONS: '0' } });
    expect(c.registry.mode).toBe('kafka');
    expect(c.registry.topic).toBe('reg');
    expect(c.registry.retention.keepVersions).toBe(0);
  });

  it('fails at start naming the key', () => {
    const bad = (overrides: Record<string, unknown>): string => {
      try {
        loadConfig({ overrides });
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      throw new Error('expected a ConfigError');
    };
    expect(bad({ registry: { mode: 'nfs' } })).toMatch(/"registry\.mode"/);
    expect(bad({ registry: { chunkBytes: 4 * 1024 * 1024 } })).toMatch(/"registry\.chunkBytes"/);
    expect(bad({ registry: { topic: '' } })).toMatch(/"registry\.topic"/);
    expect(bad({ registry: { kafkaTopic: 'x' } })).toMatch(/"registry"/);
    expect(bad({ registry: { retention: { keepVersions: -1 } } })).toMatch(/"registry\.retention\.keepVersions"/);
    expect(bad({ registry: { retention: { keepDays: 3 } } })).toMatch(/"registry\.retention"/);
  });
});
