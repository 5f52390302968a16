import { describe, expect, it } from 'vitest';
import { OperatorLog } from '../../src/app/operator-log.js';
import { Logger, loggerFromEnv, toLogger } from '../../src/core/index.js';
import { createMetrics, parseMetricsText } from '../../src/ops/index.js';
import type { TrainerStats } from '../../src/training/trainer-stats.js';

const at = () => new Date('2026-01-02T03:04:05.000Z');

describe('Logger', () => {
  it('writes one JSON object per line with time, level, message and fields, and drops lines below its level', () => {
    const lines: string[] = [];
    const log = new Logger({ format: 'json', level: 'info', sink: (l) => lines.push(l), now: at }).child({ component: 'server' });
    log.debug('not shown');
    log.warn('rolled back', { event: 'rollback', model: 'digits', version: 'v3', skipped: undefined });
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([
      { time: '2026-01-02T03:04:05.000Z', level: 'warn', msg: 'rolled back', component: 'server', event: 'rollback', model: 'digits', version: 'v3' },
    ]);
  });

  it('text lines keep the message first (tests and terminals read it) and quote values with spaces', () => {
    const lines: string[] = [];
    toLogger((l) => lines.push(l)).info('serving m@v2', { model: 'm', reason: 'accuracy dropped' });
    expect(lines).toEqual(['serving m@v2 model=m reason="accuracy dropped"']);
  });

  it('children add their fields to every line, in text too, and the level holds through them', () => {
    const json: string[] = [];
    new Logger({ format: 'json', sink: (l) => json.push(l), now: at }).child({ component: 'server' }).child({ model: 'm' }).info('x', { a: 1 });
    expect(json).toEqual(['{"level":"info","time":"2026-01-02T03:04:05.000Z","component":"server","model":"m","a":1,"msg":"x"}']);
    const text: string[] = [];
    const log = new Logger({ format: 'text', level: 'warn', sink: (l) => text.push(l) }).child({ component: 'server' });
    log.info('not shown');
    log.error('trainer exited', { code: 1, signal: null, reason: 'out of memory' });
    expect(text).toEqual(['trainer exited component=server code=1 signal=null reason="out of memory"']);
  });

  it('takes level and format from the environment and names a bad value', () => {
    expect(loggerFromEnv({ STREAMTUNE_LOG_LEVEL: 'warn', STREAMTUNE_LOG_FORMAT: 'json' })).toMatchObject({ level: 'warn', format: 'json' });
    expect(() => loggerFromEnv({ STREAMTUNE_LOG_LEVEL: 'loud' })).toThrow(/STREAMTUNE_LOG_LEVEL.*"loud"/);
    expect(() => loggerFromEnv({ STREAMTUNE_LOG_FORMAT: 'xml' })).toThrow(/STREAMTUNE_LOG_FORMAT/);
  });
});

describe('OperatorLog', () => {
  const stats = (over: Partial<TrainerStats>): TrainerStats => ({
    model: 'm', topic: 't', consumed: 10, rejected: {}, learned: 10, duplicates: 0, skipped: 0, steps: 1, drifts: 0, loss: 0.1, accuracy: 0.9, accuracyFaded: 0.9, ...over,
  });

  it('logs model events with event, model and version, and sums dead letters into one line per window', () => {
    const lines: Record<string, unknown>[] = [];
    let now = 0;
    const ops = new OperatorLog(new Logger({ format: 'json', sink: (l) => lines.push(JSON.parse(l) as Record<string, unknown>), now: at }), { dlqBurstWindowMs: 10_000, now: () => now });
    ops.modelEvent({ type: 'promotion', model: 'm', version: 'v2', previous: 'v1', time: '', reason: '' });
    ops.modelEvent({ type: 'current', model: 'm', version: 'v2', previous: '', time: '', reason: '' });
    ops.stats(stats({ rejected: { schema: 2 } }), 'v2');
    now = 5000;
    ops.stats(stats({ rejected: { bad_json: 3 }, drifts: 1 }), 'v2');
    now = 12_000;
    ops.stats(stats({ rejected: { schema: 1 } }), 'v2');
    expect(lines.map((l) => [l.level, l.event, l.model, l.version, l.msg])).toEqual([
      ['info', 'swap', 'm', 'v2', 'serving m@v2 (was v1)'],
      ['warn', 'dlq_burst', 'm', 'v2', 'dead-lettered 2 events (schema: 2)'],
      ['warn', 'drift', 'm', 'v2', 'concept drift detected on m'],
      ['warn', 'dlq_burst', 'm', 'v2', 'dead-lettered 4 events (bad_json: 3, schema: 1)'],
    ]);
  });
});

describe('parseMetricsText', () => {
  it('reads names, labels (with escapes) and values, skipping comments', () => {
    expect(parseMetricsText('# HELP x y\nstreamtune_online_accuracy{model="m"} 0.5\nup 1\nstreamtune_info{reason="a \\"b\\""} 1 1700000000\n')).toEqual([
      { name: 'streamtune_online_accuracy', labels: { model: 'm' }, value: 0.5 },
      { name: 'up', labels: {}, value: 1 },
      { name: 'streamtune_info', labels: { reason: 'a "b"' }, value: 1 },
    ]);
  });

  it('keeps every series of a labelled histogram, special values, and reads escapes in one pass', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.predictLatency.observe({ method: 'Predict' }, 0.003);
    m.predictLatency.observe({ method: 'PredictStream' }, 0.02);
    m.eventsRejected.inc({ reason: 'C:\\new\nline "q"' });
    const samples = parseMetricsText(await m.registry.metrics());
    const count = samples.filter((s) => s.name === 'streamtune_predict_latency_seconds_count');
    expect(count).toEqual([
      { name: 'streamtune_predict_latency_seconds_count', labels: { method: 'Predict' }, value: 1 },
      { name: 'streamtune_predict_latency_seconds_count', labels: { method: 'PredictStream' }, value: 1 },
    ]);
    expect(samples.find((s) => s.name === 'streamtune_predict_latency_seconds_bucket' && s.labels.method === 'PredictStream' && s.labels.le === '0.01')?.value).toBe(0);
    expect(samples.find((s) => s.name === 'streamtune_predict_latency_seconds_bucket' && s.labels.le === '+Inf' && s.labels.method === 'Predict')?.value).toBe(1);
    expect(samples.find((s) => s.name === 'streamtune_events_rejected_total')?.labels).toEqual({ reason: 'C:\\new\nline "q"' });
    expect(parseMetricsText('a NaN\nb +Inf\nc -1 -5')).toEqual([
      { name: 'a', labels: {}, value: NaN },
      { name: 'b', labels: {}, value: Infinity },
      { name: 'c', labels: {}, value: -1 },
    ]);
  });
});
