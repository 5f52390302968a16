import { context, diag, DiagLogLevel, propagation, trace } from '@opentelemetry/api';
import type { Sampler, SpanExporter } from '@opentelemetry/sdk-trace';
import type { TracingConfig } from '../core/index.js';

/** What {@link startTracing} leaves running. */
export interface Tracing {
  readonly enabled: boolean;
  /** Exports the spans still buffered and stops; idempotent, never throws, gives up after `timeoutMs`. */
  shutdown(timeoutMs?: number): Promise<void>;
}

const OFF: Tracing = { enabled: false, shutdown: async () => undefined };

/** The sampler `OTEL_TRACES_SAMPLER` names, built as the SDK spec says. */
export async function samplerOf(cfg: Pick<TracingConfig, 'sampler' | 'samplerArg'>): Promise<Sampler> {
  const { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, TraceIdRatioBasedSampler } = await import('@opentelemetry/sdk-trace');
  switch (cfg.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(cfg.samplerArg);
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(cfg.samplerArg) });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/**
 * Registers the process's OpenTelemetry tracer provider (OTLP/HTTP exporter,
 * batch span processor, W3C trace-context propagation, async-hooks context) when
 * `cfg.enabled`; otherwise registers nothing, so every span in streamtune is the
 * API's no-op. Call once per process, before serving or consuming, and
 * `shutdown()` last so the buffered spans leave. The SDK is imported only when
 * tracing is on: a process without tracing never loads it.
 *
 * @example
 * const tracing = await startTracing(config.tracing, { role: 'serve' });
 * // … serve …
 * await tracing.shutdown();
 */
export async function startTracing(cfg: TracingConfig, opts: { role: string; exporter?: SpanExporter; log?: (line: string) => void }): Promise<Tracing> {
  if (!cfg.enabled) return OFF;
  const [{ AsyncLocalStorageContextManager }, { W3CTraceContextPropagator }, { OTLPTraceExporter }, { resourceFromAttributes }, { BatchSpanProcessor, TracerProvider }, { ATTR_SERVICE_NAME }] =
    await Promise.all([
      import('@opentelemetry/context-async-hooks'),
      import('@opentelemetry/core'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/sdk-trace'),
      import('@opentelemetry/semantic-conventions'),
    ]);
  // Export failures (collector down) are reported once per kind, not thrown: tracing never stops serving.
  const seen = new Set<string>();
  diag.setLogger(
    {
      error: (m) => {
        if (!seen.has(m) && seen.size < 20) opts.log?.(`tracing: ${(seen.add(m), m)}`);
      },
      warn: () => undefined,
      info: () => undefined,
      debug: () => undefined,
      verbose: () => undefined,
    },
    DiagLogLevel.ERROR,
  );
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: cfg.serviceName, 'streamtune.role': opts.role, 'process.pid': process.pid }),
    sampler: await samplerOf(cfg),
    spanProcessors: [new BatchSpanProcessor({ exporter: opts.exporter ?? new OTLPTraceExporter({ url: cfg.endpoint }), scheduledDelayMillis: 1000 })],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  let stopping: Promise<void> | undefined;
  return {
    enabled: true,
    shutdown(timeoutMs = 5000) {
      stopping ??= Promise.race([
        provider.shutdown().catch(() => undefined),
        new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref()),
      ]).finally(() => {
        trace.disable();
        propagation.disable();
        context.disable();
      });
      return stopping;
    },
  };
}
