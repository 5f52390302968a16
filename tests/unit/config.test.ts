import { describe, expect, it } from 'vitest';
import { loadConfig, ConfigError } from '../../src/core/index.js';
import { trainerNodeFlags } from '../../src/app/trainer-process.js';

describe('loadConfig', () => {
  it('has documented defaults and takes env and overrides in order', () => {
    const c = loadConfig({ env: { KAFKA_BROKERS: 'a:1,b:2', STREAMTUNE_GRPC_PORT: '6000' }, overrides: { serving: { port: 7000 } } });
    expect(c.kafka.brokers).toEqual(['a:1', 'b:2']);
    expect(c.serving.port).toBe(7000);
    expect(c.kafka.labelsTopic).toBe('streamtune.labels');
    expect(c.training.maxBatchSize).toBe(32);
  });

  it('fails at start naming the key', () => {
    const bad = (f: () => unknown): string => {
      try {
        f();
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      throw new Error('expected a ConfigError');
    };
    expect(bad(() => loadConfig({ env: { STREAMTUNE_GRPC_PORT: 'fast' } }))).toMatch(/STREAMTUNE_GRPC_PORT/);
    expect(bad(() => loadConfig({ overrides: { serving: { port: 70000 } } }))).toMatch(/"serving\.port"/);
    expect(bad(() => loadConfig({ overrides: { training: { maxBatchSze: 3 } } }))).toMatch(/"training"/);
    expect(bad(() => loadConfig({ env: { KAFKA_BROKERS: 'nohostport' } }))).toMatch(/"kafka\.brokers\.0"/);
    expect(bad(() => loadConfig({ overrides: { backend: 'gpu' } }))).toMatch(/"backend"/);
  });

  it('checks the feedback section: sampling rate in [0, 1], per-model switches by model name, a positive window', () => {
    const message = (overrides: Record<string, unknown>): string => {
      try {
        loadConfig({ overrides });
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      throw new Error('expected a ConfigError');
    };
    expect(message({ feedback: { log: { sampleRate: 1.5 } } })).toMatch(/"feedback\.log\.sampleRate"/);
    expect(message({ feedback: { log: { models: { 'bad/name': true } } } })).toMatch(/"feedback\.log\.models/);
    expect(message({ feedback: { log: { models: { digits: 'yes' } } } })).toMatch(/"feedback\.log\.models\.digits"/);
    expect(message({ feedback: { windowMs: 0 } })).toMatch(/"feedback\.windowMs"/);
    expect(message({ feedback: { log: { lingerMs: -1 } } })).toMatch(/"feedback\.log\.lingerMs"/);
    expect(() => loadConfig({ env: { STREAMTUNE_PREDICTION_LOG_SAMPLE_RATE: 'half' } })).toThrow(/STREAMTUNE_PREDICTION_LOG_SAMPLE_RATE/);
    const c = loadConfig({ env: { STREAMTUNE_PREDICTION_LOG: 'true', STREAMTUNE_PREDICTION_LOG_SAMPLE_RATE: '0.25' } });
    expect([c.feedback.log.enabled, c.feedback.log.sampleRate, c.feedback.windowMs, c.feedback.log.topic]).toEqual([true, 0.25, 7 * 86_400_000, 'streamtune.predictions']);
  });

  it('caps the trainer heap with training.maxHeapMb (0: node default) and rejects other values naming the key', () => {
    expect(loadConfig().training.maxHeapMb).toBe(512);
    expect(trainerNodeFlags(loadConfig().training)).toEqual(['--max-old-space-size=512']);
    expect(trainerNodeFlags(loadConfig({ overrides: { training: { maxHeapMb: 256 } } }).training)).toEqual(['--max-old-space-size=256']);
    expect(trainerNodeFlags(loadConfig({ overrides: { training: { maxHeapMb: 0 } } }).training)).toEqual([]);
    for (const maxHeapMb of [32, -1, 1.5, 100_000, '512']) {
      expect(() => loadConfig({ overrides: { training: { maxHeapMb } } })).toThrow(/"training\.maxHeapMb"/);
    }
  });
});
