import { context, trace, type Span } from '@opentelemetry/api';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, tracer } from '../../src/core/index.js';
import { decodeRecord } from '../../src/features/index.js';
import type { Learner } from '../../src/learners/index.js';
import { startTracing, type Tracing } from '../../src/ops/index.js';
import { DynamicBatcher } from '../../src/serving/index.js';
import { LearningTrace } from '../../src/training/learning-trace.js';

/** Keeps every exported span (the SDK's in-memory exporter forgets them at shutdown). */
function collector(): SpanExporter & { spans: ReadableSpan[] } {
  const spans: ReadableSpan[] = [];
  return { spans, export: (s, cb) => (spans.push(...s), cb({ code: 0 })), shutdown: async () => undefined };
}

const configError = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('tracing configuration', () => {
  it('is off by default, and the OTEL_* variables turn it on as the SDK reads them', () => {
    expect(loadConfig({ env: {} }).tracing).toMatchObject({ enabled: false, endpoint: 'http://localhost:4318/v1/traces', sampler: 'parentbased_always_on' });
    expect(loadConfig({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318/' } }).tracing).toMatchObject({ enabled: true, endpoint: 'http://jaeger:4318/v1/traces' });
    const own = loadConfig({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:9/traces', OTEL_SERVICE_NAME: 'svc', OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' } });
    expect(own.tracing).toEqual({ enabled: true, endpoint: 'http://b:9/traces', serviceName: 'svc', sampler: 'traceidratio', samplerArg: 0.25 });
    expect(loadConfig({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_SDK_DISABLED: 'true' } }).tracing.enabled).toBe(false);
    expect(loadConfig({ overrides: { tracing: { enabled: true } } }).tracing.enabled).toBe(true);
  });

  it('fails at start naming the key', () => {
    expect(configError(() => loadConfig({ env: { OTEL_TRACES_SAMPLER: 'jaeger_remote' } }))).toMatch(/"tracing\.sampler"/);
    expect(configError(() => loadConfig({ env: { OTEL_TRACES_SAMPLER_ARG: 'half' } }))).toMatch(/OTEL_TRACES_SAMPLER_ARG/);
    expect(configError(() => loadConfig({ overrides: { tracing: { endpoint: 'localhost:4318' } } }))).toMatch(/"tracing\.endpoint"/);
    expect(configError(() => loadConfig({ overrides: { tracing: { samplerArg: 2 } } }))).toMatch(/"tracing\.samplerArg"/);
  });
});

describe('spans (in-process exporter)', () => {
  let tracing: Tracing | undefined;
  afterEach(async () => {
    await tracing?.shutdown();
    tracing = undefined;
  });

  it('with tracing off, nothing is recorded', async () => {
    tracing = await startTracing(loadConfig({ env: {} }).tracing, { role: 'test' });
    expect(tracing.enabled).toBe(false);
    const span = tracer.startSpan('x');
    expect(span.isRecording()).toBe(false);
    span.end();
  });

  it('a batch span links the calls coalesced in it; decode, step and publish form one trace from the label', async () => {
    const exporter = collector();
    tracing = await startTracing(loadConfig({ overrides: { tracing: { enabled: true } } }).tracing, { role: 'test', exporter });
    const learner = { predict: (x: number[][]) => x.map(() => ({ label: 'a', confidence: 1 })) } as unknown as Learner;
    const batcher = new DynamicBatcher({ maxQueueDelayMs: 5 });
    const calls: Span[] = [tracer.startSpan('call-1'), tracer.startSpan('call-2')];
    await Promise.all(calls.map((s) => context.with(trace.setSpan(context.active(), s), () => batcher.submit({ learner, rows: [[1]], deadlineMs: Infinity }))));
    for (const s of calls) s.end();

    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const record = { topic: 't', partition: 0, offset: '7', key: null, timestamp: '0', value: Buffer.from('{"id":"e1","input":{"features":[1,2]},"label":"a"}'), traceparent: `00-${traceId}-b7ad6b7169203331-01` };
    const decoded = decodeRecord(record, { featureSpec: { kind: 'features', dim: 2 } });
    expect(decoded.ok && decoded.trace?.traceId).toBe(traceId);
    const learning = new LearningTrace('m');
    await learning.step([decoded as Extract<typeof decoded, { ok: true }>], async () => ({ loss: 0.5 }));
    await learning.publish(async () => ({ version: 'v3', parent: 'v2', examplesSeen: 9 }) as never);
    await tracing.shutdown();

    const named = (n: string): ReadableSpan => exporter.spans.find((s) => s.name === n)!;
    const batch = named('streamtune.batch');
    expect(batch.links.map((l) => l.context.spanId).sort()).toEqual(calls.map((c) => c.spanContext().spanId).sort());
    expect(batch.attributes['streamtune.batch.rows']).toBe(2);
    const decode = named('streamtune.decode');
    const step = named('streamtune.train.step');
    const publish = named('streamtune.version.publish');
    expect([decode, step, publish].map((s) => s.spanContext().traceId)).toEqual([traceId, traceId, traceId]);
    expect(decode.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(step.parentSpanContext?.spanId).toBe(decode.spanContext().spanId);
    expect(step.links).toEqual([]); // the parent is not also a link
    expect(publish.parentSpanContext?.spanId).toBe(step.spanContext().spanId);
    expect(publish.attributes).toMatchObject({ 'streamtune.model': 'm', 'streamtune.version': 'v3', 'streamtune.version.parent': 'v2' });
  });
});
