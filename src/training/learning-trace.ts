import { context, SpanStatusCode, trace, type Attributes, type Span, type SpanContext } from '@opentelemetry/api';
import { contextOf, linksTo, MAX_LINKS, sampledContext, TRACE_ATTR, tracer } from '../core/index.js';
import type { GoodRecord } from '../features/index.js';
import type { VersionMeta } from '../registry/index.js';

/**
 * The learning path's spans for one model: a `streamtune.train.step` span per
 * step that learned a traced event (the child of the first traced event's decode
 * span, so that label's trace holds it, and linked to the other traced events'),
 * and a `streamtune.version.publish` span per saved version (the child of the
 * first traced step it includes, linked to the others). The parent is never
 * also a link: Jaeger would show the pair as one FOLLOWS_FROM reference. Events that carried no
 * `traceparent`, and every event while tracing is off, make no span.
 *
 * @example
 * const traces = new LearningTrace('digits');
 * await traces.step(labelled, () => scorer.run(learner, labelled));
 * await traces.publish(() => checkpoints.save(…));
 */
export class LearningTrace {
  /** Traced steps since the last saved version. */
  private steps: SpanContext[] = [];

  constructor(private readonly model: string) {}

  /** Runs one training step, in a span when one of `labelled` is traced. */
  async step<T extends { loss: number | null }>(labelled: readonly GoodRecord[], run: () => Promise<T>): Promise<T> {
    const traced: SpanContext[] = [];
    for (const d of labelled) if (d.trace) traced.push(d.trace);
    if (traced.length === 0) return run();
    const attributes: Attributes = { [TRACE_ATTR.model]: this.model, [TRACE_ATTR.events]: labelled.length, [TRACE_ATTR.tracedEvents]: traced.length };
    const span = tracer.startSpan('streamtune.train.step', { links: linksTo(traced.slice(1)), attributes }, contextOf(traced[0]));
    return inSpan(span, run, (out) => {
      if (out.loss !== null) span.setAttribute(TRACE_ATTR.loss, out.loss);
      const sc = span.spanContext();
      if (sampledContext(sc) && this.steps.length < MAX_LINKS) this.steps.push(sc);
    });
  }

  /** Saves a version, in a span when a traced step is in it; the span names the version saved. */
  async publish(save: () => Promise<VersionMeta | null>): Promise<VersionMeta | null> {
    if (this.steps.length === 0) return save();
    const steps = this.steps;
    const span = tracer.startSpan('streamtune.version.publish', { links: linksTo(steps.slice(1)), attributes: { [TRACE_ATTR.model]: this.model, [TRACE_ATTR.steps]: steps.length } }, contextOf(steps[0]));
    return inSpan(span, save, (meta) => {
      if (meta) {
        this.steps = [];
        span.setAttributes({ [TRACE_ATTR.version]: meta.version, [TRACE_ATTR.parentVersion]: meta.parent ?? '', [TRACE_ATTR.examplesSeen]: meta.examplesSeen });
      } else {
        span.setAttribute('streamtune.version.saved', false);
      }
    });
  }
}

/** Runs `run` with `span` active, lets `done` annotate it with the result, records a failure, and always ends it. */
async function inSpan<T>(span: Span, run: () => Promise<T>, done: (out: T) => void): Promise<T> {
  try {
    const out = await context.with(trace.setSpan(context.active(), span), run);
    done(out);
    return out;
  } catch (err) {
    span.recordException(err as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
    throw err;
  } finally {
    span.end();
  }
}
