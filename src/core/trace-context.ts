import { context, isSpanContextValid, propagation, ROOT_CONTEXT, trace, TraceFlags, type Context, type Link, type SpanContext, type Tracer } from '@opentelemetry/api';

/**
 * The tracer every streamtune span comes from. Until `startTracing` (src/ops)
 * registers a provider this is the API's no-op tracer: spans cost a call and
 * record nothing.
 */
export const tracer: Tracer = trace.getTracer('streamtune');

/** Span attribute names of streamtune's own (the rest follow OpenTelemetry's semantic conventions). */
export const TRACE_ATTR = {
  model: 'streamtune.model',
  version: 'streamtune.version',
  parentVersion: 'streamtune.version.parent',
  examplesSeen: 'streamtune.version.examples_seen',
  eventId: 'streamtune.event.id',
  events: 'streamtune.step.events',
  tracedEvents: 'streamtune.step.traced_events',
  loss: 'streamtune.step.loss',
  batchRows: 'streamtune.batch.rows',
  batchRequests: 'streamtune.batch.requests',
  steps: 'streamtune.version.steps',
} as const;

/** Most links one span carries (a step of 4096 events links the first ones). */
export const MAX_LINKS = 128;

/**
 * The context of a W3C `traceparent` (and `tracestate`) carried by a Kafka header
 * or an HTTP header, through the registered propagator: with tracing off it is
 * the empty context, so nothing downstream is traced.
 */
export function contextFromTraceparent(traceparent: string | undefined, tracestate?: string): Context {
  if (!traceparent) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, tracestate ? { traceparent, tracestate } : { traceparent });
}

/** The span context active now when it is a real one (a span is being recorded), else undefined. */
export function activeSpanContext(): SpanContext | undefined {
  const sc = trace.getSpanContext(context.active());
  return sc && isSpanContextValid(sc) ? sc : undefined;
}

/** A span context worth linking to or parenting on: valid and sampled. */
export const sampledContext = (sc: SpanContext | undefined): sc is SpanContext =>
  sc !== undefined && isSpanContextValid(sc) && (sc.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED;

/** Links to `contexts`, at most {@link MAX_LINKS}. */
export const linksTo = (contexts: readonly SpanContext[]): Link[] => contexts.slice(0, MAX_LINKS).map((c) => ({ context: c }));

/** A context whose parent span is `sc` (the root context when there is none). */
export const contextOf = (sc: SpanContext | undefined): Context => (sc ? trace.setSpanContext(ROOT_CONTEXT, sc) : ROOT_CONTEXT);

/** The active span as a W3C `traceparent`, through the registered propagator (undefined with tracing off or no span). */
export function activeTraceparent(): string | undefined {
  const carrier: { traceparent?: string } = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}
