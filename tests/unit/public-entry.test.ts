import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import * as streamtune from '../../src/index.js';
import { useTestBackend } from '../helpers/test-backend.js';

describe('the public entry (src/index.ts)', () => {
  let dir: string;

  beforeAll(async () => {
    await useTestBackend();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-entry-'));
  });

  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('exports what an embedding program uses', () => {
    expect(Object.keys(streamtune)).toEqual(
      expect.arrayContaining([
        'EventProducer',
        'createKafka',
        'labelEventSchema',
        'registerLearner',
        'createLearner',
        'loadLearner',
        'registeredLearners',
        'DenseClassifier',
        'DenseRegressor',
        'StreamtuneServer',
        'PredictorClient',
        'VersionStore',
        'loadConfig',
        'StreamtuneError',
        'ConfigError',
        'ModelNotFoundError',
        'UpstreamError',
      ]),
    );
    expect(streamtune.EventProducer).toBeTypeOf('function');
    expect(streamtune.EventProducer.prototype.send).toBeTypeOf('function');
  });

  it('validates label events with the schema producers send', () => {
    expect(streamtune.labelEventSchema.safeParse({ id: 'e1', input: { features: [1, 2] }, label: 'a' }).success).toBe(true);
    expect(streamtune.labelEventSchema.safeParse({ id: 'e1', input: { features: [1, 2], text: 'x' }, label: 'a' }).success).toBe(false);
  });

  it('creates a built-in learner by class name, which predicts and round-trips through the version store', async () => {
    expect(streamtune.registeredLearners()).toEqual(expect.arrayContaining(['DenseClassifier', 'DenseRegressor']));
    const learner = streamtune.createLearner('DenseClassifier', { featureSpec: { kind: 'features', dim: 2 }, labels: ['a', 'b'], hiddenUnits: [4], seed: 1 });
    expect(learner).toBeInstanceOf(streamtune.DenseClassifier);
    await learner.learn([[1, 0], [0, 1]], ['a', 'b']);
    const rows = [[1, 0], [0.2, 0.9]];
    const predictions = learner.predict(rows);
    expect(predictions).toHaveLength(2);
    for (const p of predictions) {
      expect(['a', 'b']).toContain(p.label);
      expect(p.scores!.a! + p.scores!.b!).toBeCloseTo(1, 5);
    }

    const store = new streamtune.VersionStore(path.join(dir, 'registry'));
    const meta = await store.save('m', learner, { parent: null, regime: 'supervised', backend: 'test', examplesSeen: 2, metrics: {}, offsets: {} });
    const { learner: loaded } = await store.load('m', meta.version);
    expect(loaded.className).toBe('DenseClassifier');
    expect(loaded.predict(rows)).toEqual(predictions);
    learner.dispose();
    loaded.dispose();
  });

  it('an unknown class name is a StreamtuneError naming it', () => {
    expect(() => streamtune.createLearner('NoSuchLearner', {})).toThrow(streamtune.StreamtuneError);
    expect(() => streamtune.createLearner('NoSuchLearner', {})).toThrow(/NoSuchLearner/);
  });

  it('loads configuration, and bad configuration is a ConfigError of the one error family', () => {
    expect(streamtune.loadConfig({ env: {}, overrides: { model: 'm' } }).model).toBe('m');
    let caught: unknown;
    try {
      streamtune.loadConfig({ env: {}, overrides: { serving: { port: 70000 } } });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(streamtune.ConfigError);
    expect(caught).toBeInstanceOf(streamtune.StreamtuneError);
    expect(caught).toMatchObject({ code: 'config_invalid', context: { key: 'serving.port' } });
  });

  it('builds a server whose events are typed by its listener map', async () => {
    const server = new streamtune.StreamtuneServer(streamtune.loadConfig({ env: {}, overrides: { model: 'm', registryDir: path.join(dir, 'server') } }), () => undefined);
    expectTypeOf<Parameters<streamtune.StreamtuneServerEvents['swap']>>().toEqualTypeOf<[meta: streamtune.VersionMeta]>();
    const seen: number[] = [];
    server.on('freshness', (seconds) => {
      expectTypeOf(seconds).toEqualTypeOf<number[]>();
      seen.push(...seconds);
    });
    server.emit('freshness', [0.5, 2]);
    expect(seen).toEqual([0.5, 2]);
    await server.close();
  });
});
