import { describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/core/index.js';
import { createKafka } from '../../src/ingest/index.js';
import { PredictionLog, predictionIds } from '../../src/serving/index.js';
import { readTopic } from '../helpers/read-topic.js';
import { uniq, waitFor } from '../helpers/wait-for.js';

const brokers = inject('kafkaBrokers').split(',');
const call = (requestId: string, model = 'm', n = 1) => ({
  requestId,
  model,
  version: 'v1',
  inputs: Array.from({ length: n }, () => ({ features: [1, 2] })),
  predictions: Array.from({ length: n }, () => ({ label: 'a', confidence: 0.9 })),
});

describe('PredictionLog', () => {
  it('ids: the request id for one prediction, <id>/<i> for several', () => {
    expect(predictionIds('r', 1)).toEqual(['r']);
    expect(predictionIds('r', 3)).toEqual(['r/0', 'r/1', 'r/2']);
  });

  it('a full buffer drops and counts, never waits; the per-model switch and the sampling rate decide what is logged', async () => {
    const counts: Record<string, number> = {};
    const topic = `test.predictions.${uniq()}`;
    const config = loadConfig({ overrides: { feedback: { log: { enabled: true, topic, bufferSize: 2, models: { quiet: false } } } } }).feedback.log;
    const log = new PredictionLog(createKafka(brokers), { config, count: (o, n) => (counts[o] = (counts[o] ?? 0) + n) });
    await log.start();
    expect(log.record(call('a'))).toEqual({ id: 'a', ids: ['a'] });
    expect(log.record(call('', 'quiet'))).toEqual({ id: '', ids: [] });
    const second = log.record(call(''));
    expect(second.ids).toHaveLength(1);
    // The buffer holds 2 until the background send takes them: the third call in this turn is dropped, at once.
    expect(log.record(call('c'))).toEqual({ id: '', ids: [] });
    expect(counts.dropped).toBe(1);
    await log.close();
    expect(counts.logged).toBe(2);

    const sampled = new PredictionLog(createKafka(brokers), { config: { ...config, sampleRate: 0.5 }, random: (() => { let i = 0; return () => [0.2, 0.7][i++ % 2]!; })() });
    expect([sampled.record(call('x')).id, sampled.record(call('y')).id]).toEqual(['x', '']);
    await sampled.close();
  });

  it('a full batch goes without waiting out the linger, close sends the rest at once; each record is the documented JSON, keyed by its id', async () => {
    const counts: Record<string, number> = {};
    const topic = `test.predictions.${uniq()}`;
    // A linger longer than the test's timeout (past the schema's bound, so set after loading): only a full batch (3) or close() can send.
    const loaded = loadConfig({ overrides: { feedback: { log: { enabled: true, topic, maxBatchRecords: 3 } } } }).feedback.log;
    const config = { ...loaded, lingerMs: 600_000 };
    const kafka = createKafka(brokers);
    const log = new PredictionLog(kafka, { config, now: () => 1765130000000, count: (o, n) => (counts[o] = (counts[o] ?? 0) + n) });
    await log.start();
    expect(log.record(call('two', 'm', 2)).ids).toEqual(['two/0', 'two/1']);
    expect(log.record(call('one')).ids).toEqual(['one']);
    await waitFor('the full batch of 3 sent', () => counts.logged === 3, 45_000);
    const regression = { ...call('r'), predictions: [{ value: 2.5 }] };
    expect(log.record(regression).id).toBe('r');
    await log.close();
    expect(counts.logged).toBe(4);
    const got = await readTopic(kafka, topic, 4);
    const byKey = Object.fromEntries(got.map((m) => [m.key!.toString(), m.value!.toString()]));
    const rec = (id: string, output: string) => `{"id":"${id}","model":"m","version":"v1","input":{"features":[1,2]},"output":${output},"ts":1765130000000}`;
    expect(byKey).toEqual({
      'two/0': rec('two/0', '{"label":"a","confidence":0.9}'),
      'two/1': rec('two/1', '{"label":"a","confidence":0.9}'),
      one: rec('one', '{"label":"a","confidence":0.9}'),
      r: rec('r', '{"value":2.5}'),
    });
  });
});
