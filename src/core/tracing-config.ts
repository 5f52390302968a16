import { z } from 'zod';
import { ConfigError } from './streamtune-error.js';

/** The samplers of the OpenTelemetry SDK spec's `OTEL_TRACES_SAMPLER` that the Node SDK has. */
export const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;

/** The `tracing` section: OpenTelemetry spans exported over OTLP/HTTP (see docs/tracing.md). */
export const tracingSchema = z
  .object({
    /** Off by default: with tracing off the API's no-op tracer runs and nothing is exported. */
    enabled: z.boolean().default(false),
    /** OTLP/HTTP traces URL (protobuf), as `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`. @defaultValue the SDK's, http://localhost:4318/v1/traces */
    endpoint: z.url({ protocol: /^https?$/ }).default('http://localhost:4318/v1/traces'),
    /** `service.name` of the spans, as `OTEL_SERVICE_NAME`; the trainer process exports under the same name. */
    serviceName: z.string().min(1).default('streamtune'),
    /** Which traces are kept, as `OTEL_TRACES_SAMPLER`; the parent-based ones follow an incoming `traceparent`'s sampled flag. */
    sampler: z.enum(SAMPLERS).default('parentbased_always_on'),
    /** The ratio of the `*traceidratio` samplers, as `OTEL_TRACES_SAMPLER_ARG`. */
    samplerArg: z.number().min(0).max(1).default(1),
  })
  .strict()
  .prefault({});

export type TracingConfig = z.infer<typeof tracingSchema>;

/**
 * The `tracing` keys set by the OpenTelemetry SDK's standard variables, as the
 * SDK reads them: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is the URL as is,
 * `OTEL_EXPORTER_OTLP_ENDPOINT` a base URL that gets `/v1/traces`; either turns
 * tracing on, and `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none` off.
 *
 * @example
 * otelEnvTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' }); // { enabled: true, endpoint: 'http://jaeger:4318/v1/traces' }
 */
export function otelEnvTracing(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const set = (name: string): string | undefined => (env[name] !== undefined && env[name]!.trim() !== '' ? env[name]!.trim() : undefined);
  const tracesUrl = set('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const base = set('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (tracesUrl) Object.assign(out, { enabled: true, endpoint: tracesUrl });
  else if (base) Object.assign(out, { enabled: true, endpoint: `${base.replace(/\/+$/, '')}/v1/traces` });
  const service = set('OTEL_SERVICE_NAME');
  if (service) out.serviceName = service;
  const sampler = set('OTEL_TRACES_SAMPLER');
  if (sampler) out.sampler = sampler;
  const arg = set('OTEL_TRACES_SAMPLER_ARG');
  if (arg !== undefined) {
    const n = Number(arg);
    if (!Number.isFinite(n)) throw new ConfigError('OTEL_TRACES_SAMPLER_ARG', `"${arg}" is not a number`);
    out.samplerArg = n;
  }
  if (set('OTEL_SDK_DISABLED')?.toLowerCase() === 'true' || set('OTEL_TRACES_EXPORTER')?.toLowerCase() === 'none') out.enabled = false;
  return out;
}
