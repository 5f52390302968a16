/**
 * OpenTelemetry end to end: a real `streamtune serve` (and its trainer child)
 * exports spans over OTLP/HTTP to a real Jaeger (all-in-one v1.75.0, in-memory),
 * and the test reads them back through Jaeger's query API.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createKafka, ensureTopics } from '../../src/ingest/index.js';
import { DenseClassifier } from '../../src/learners/index.js';
import { VersionStore } from '../../src/registry/index.js';
import { curlBin, grpcurlBin, jaegerBin, run } from '../helpers/outside-tools.js';
import { runCli } from '../helpers/processes.js';
import { useTestBackend } from '../helpers/test-backend.js';
import { uniq, waitFor } from '../helpers/wait-for.js';

const brokers = inject('kafkaBrokers').split(',');

interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: string; traceID: string; spanID: string }[];
  tags: { key: string; value: unknown }[];
  processID: string;
}
interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags: { key: string; value: unknown }[] }>;
}

const tag = (s: JaegerSpan, key: string): unknown => s.tags.find((t) => t.key === key)?.value;
const parentOf = (s: JaegerSpan): string | undefined => s.references.find((r) => r.refType === 'CHILD_OF')?.spanID;
const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

/** A free TCP port in 36000–36999 (the range this test owns), from a random start. */
async function freePort(taken: Set<number>): Promise<number> {
  const start = 36000 + Math.floor(Math.random() * 1000);
  for (let i = 0; i < 1000; i++) {
    const port = 36000 + ((start - 36000 + i) % 1000);
    if (taken.has(port)) continue;
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (ok) {
      taken.add(port);
      return port;
    }
  }
  throw new Error('no free port in 36000-36999');
}

/** Jaeger v2 (an OpenTelemetry Collector): OTLP/HTTP in, memory storage, the query API; nothing else listens. */
const jaegerConfig = (otlp: number, query: number, queryGrpc: number): string => `
service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 10000
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:${query}
    grpc:
      endpoint: 127.0.0.1:${queryGrpc}
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${otlp}
processors:
  batch:
    timeout: 200ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`;

describe('tracing: spans in Jaeger from `streamtune serve` and its trainer', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  let jaeger: ChildProcess;
  let queryUrl = '';
  let serveLines: string[] = [];
  let grpcAddress = '';
  let restUrl = '';
  const service = `streamtune-test-${uniq()}`;
  const jaegerLog: string[] = [];
  const labels = `test.tracing.labels.${uniq()}`;

  const traceOf = async (traceId: string): Promise<JaegerTrace | undefined> => {
    const res = await fetch(`${queryUrl}/api/traces/${traceId}`);
    if (res.status === 404) return undefined;
    const body = (await res.json()) as { data?: JaegerTrace[] };
    return body.data?.[0];
  };
  /** The trace once it holds every span named in `names`. */
  const waitForTrace = async (traceId: string, names: string[]): Promise<JaegerTrace> => {
    let found: JaegerTrace | undefined;
    await waitFor(`trace ${traceId} in Jaeger with ${names.join(', ')}`, async () => {
      found = await traceOf(traceId);
      return !!found && names.every((n) => found!.spans.some((s) => s.operationName === n));
    }, 120_000);
    return found!;
  };

  beforeAll(async () => {
    const bin = jaegerBin();
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-tracing-'));
    cleanup.push(() => fs.rm(dir, { recursive: true, force: true }));
    const taken = new Set<number>();
    const [otlp, query, queryGrpc] = [await freePort(taken), await freePort(taken), await freePort(taken)];
    await fs.writeFile(path.join(dir, 'jaeger.yaml'), jaegerConfig(otlp, query, queryGrpc));
    jaeger = spawn(bin, ['--config', `file:${path.join(dir, 'jaeger.yaml')}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    cleanup.push(async () => jaeger.exitCode === null && jaeger.kill('SIGKILL'));
    for (const s of [jaeger.stdout!, jaeger.stderr!]) s.on('data', (d: Buffer) => jaegerLog.push(...d.toString().split('\n')));
    queryUrl = `http://127.0.0.1:${query}`;
    await waitFor('Jaeger query API', async () => {
      if (jaeger.exitCode !== null) throw new Error(`jaeger exited ${jaeger.exitCode}:\n${jaegerLog.slice(-20).join('\n')}`);
      return (await fetch(`${queryUrl}/api/services`).catch(() => undefined))?.ok === true;
    }, 60_000);

    const backend = await useTestBackend();
    const store = new VersionStore(path.join(dir, 'registry'));
    const base = new DenseClassifier({ featureSpec: { kind: 'features', dim: 2 }, labels: ['a', 'b'], hiddenUnits: [4] });
    await store.save('m', base, { parent: null, regime: 'test', backend, examplesSeen: 0, metrics: {}, offsets: {} });
    base.dispose();
    const id = uniq();
    await ensureTopics(createKafka(brokers), [{ topic: labels }]);
    const config = {
      model: 'm',
      registryDir: path.join(dir, 'registry'),
      backend,
      kafka: { brokers, labelsTopic: labels, dlqTopic: `test.tracing.dlq.${id}`, modelsTopic: `test.tracing.models.${id}`, groupId: `tracing-${id}` },
      serving: { port: 0, http: { port: 0 } },
      metrics: { port: 0 },
      training: { maxBatchSize: 5, maxBatchWaitMs: 20, versionEverySteps: 1, versionEveryMs: 200 },
      tracing: { serviceName: service },
    };
    await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify(config));
    // Turned on by the standard variable, as an operator would (the config names only the service).
    const serve = runCli(['serve', '--config', path.join(dir, 'config.json')], { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlp}` });
    serveLines = serve.lines;
    cleanup.push(async () => {
      if (serve.child.exitCode !== null) return;
      const exited = new Promise((r) => serve.child.once('exit', r));
      serve.child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
      if (serve.child.exitCode === null) serve.child.kill('SIGKILL');
    });
    await waitFor('serve to listen and its trainer to consume', () => {
      if (serve.child.exitCode !== null) throw new Error(`serve exited ${serve.child.exitCode}:\n${serveLines.slice(-10).join('\n')}`);
      return serveLines.some((l) => l.includes('trainer consuming')) && serveLines.some((l) => l.includes('KServe v2 REST on'));
    }, 180_000);
    grpcAddress = /gRPC Predictor on (\S+?:\d+)/.exec(serveLines.find((l) => l.includes('gRPC Predictor on'))!)![1]!;
    restUrl = /KServe v2 REST on (http\S+?)\/v2/.exec(serveLines.find((l) => l.includes('KServe v2 REST on'))!)![1]!;
  }, 300_000);

  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  });

  it("a label's traceparent carries through decode, the training step, the publish of the version that learned it and its swap into serving; that version then answers Predict", async () => {
    // The producer's span: a traceparent as an instrumented producer sets it (sampled).
    const traceId = hex(16);
    const producerSpan = hex(8);
    const producer = createKafka(brokers).producer();
    await producer.connect();
    await producer.send({
      topic: labels,
      messages: [
        {
          key: 'm',
          value: JSON.stringify({ id: `traced-${traceId}`, model: 'm', input: { features: [0.5, -0.5] }, label: 'a' }),
          headers: { traceparent: `00-${traceId}-${producerSpan}-01` },
        },
      ],
    });
    await producer.disconnect();

    const t = await waitForTrace(traceId, ['streamtune.decode', 'streamtune.train.step', 'streamtune.version.publish']);
    const decode = t.spans.find((s) => s.operationName === 'streamtune.decode')!;
    const step = t.spans.find((s) => s.operationName === 'streamtune.train.step')!;
    const publish = t.spans.find((s) => s.operationName === 'streamtune.version.publish')!;
    expect(parentOf(decode)).toBe(producerSpan);
    expect(tag(decode, 'messaging.destination.name')).toBe(labels);
    expect(tag(decode, 'streamtune.event.id')).toBe(`traced-${traceId}`);
    expect(parentOf(step)).toBe(decode.spanID);
    expect(tag(step, 'streamtune.model')).toBe('m');
    expect(parentOf(publish)).toBe(step.spanID);
    expect(tag(publish, 'streamtune.model')).toBe('m');
    const version = tag(publish, 'streamtune.version') as string;
    expect(version).toMatch(/^v\d+/);
    // Exported by the trainer child process, under the configured service name.
    const proc = t.processes[publish.processID]!;
    expect(proc.serviceName).toBe(service);
    expect(proc.tags.find((x) => x.key === 'streamtune.role')?.value).toBe('trainer');

    // Serve: the version that learned the label answers a Predict made in the caller's trace.
    const grpcurl = grpcurlBin();
    const predict = async (traceparent?: string): Promise<{ version: string }> => {
      const r = await run(grpcurl, ['-plaintext', ...(traceparent ? ['-H', `traceparent: ${traceparent}`] : []), '-d', JSON.stringify({ model: 'm', instances: [{ features: { values: [0.5, -0.5] } }] }), grpcAddress, 'streamtune.v1.Predictor/Predict']);
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { version: string };
    };
    await waitFor(`serve to swap in ${version}`, async () => (await predict()).version === version, 120_000);
    // The swap in the serve process joins the label's trace, as the child of the publish span.
    const swapped = await waitForTrace(traceId, ['streamtune.version.swap']);
    const swap = swapped.spans.find((s) => s.operationName === 'streamtune.version.swap')!;
    expect(parentOf(swap)).toBe(publish.spanID);
    expect(tag(swap, 'streamtune.version')).toBe(version);
    expect(swapped.processes[swap.processID]!.tags.find((x) => x.key === 'streamtune.role')?.value).toBe('serve');

    const callerTrace = hex(16);
    const callerSpan = hex(8);
    const answered = await predict(`00-${callerTrace}-${callerSpan}-01`);
    const p = await waitForTrace(callerTrace, ['streamtune.v1.Predictor/Predict', 'streamtune.batch']);
    const rpc = p.spans.find((s) => s.operationName === 'streamtune.v1.Predictor/Predict')!;
    expect(parentOf(rpc)).toBe(callerSpan);
    expect(tag(rpc, 'rpc.system')).toBe('grpc');
    expect(tag(rpc, 'streamtune.model')).toBe('m');
    expect(tag(rpc, 'streamtune.version')).toBe(answered.version);
    expect(p.processes[rpc.processID]!.tags.find((x) => x.key === 'streamtune.role')?.value).toBe('serve');
    const batch = p.spans.find((s) => s.operationName === 'streamtune.batch')!;
    expect(parentOf(batch)).toBe(rpc.spanID);
    expect(tag(batch, 'streamtune.batch.rows')).toBe(1);
  }, 600_000);

  it('a KServe v2 REST infer carrying a traceparent header is a ModelInfer span in the caller\'s trace, naming model and version', async () => {
    const callerTrace = hex(16);
    const callerSpan = hex(8);
    const body = JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 2], data: [0.5, -0.5] }] });
    const r = await run(curlBin(), ['-sS', '-f', '-H', `traceparent: 00-${callerTrace}-${callerSpan}-01`, '-H', 'content-type: application/json', '-d', body, `${restUrl}/v2/models/m/infer`]);
    expect(r.status, r.stderr).toBe(0);
    const answered = JSON.parse(r.stdout) as { model_name: string; model_version: string };
    const t = await waitForTrace(callerTrace, ['ModelInfer']);
    const infer = t.spans.find((s) => s.operationName === 'ModelInfer')!;
    expect(parentOf(infer)).toBe(callerSpan);
    expect(tag(infer, 'http.response.status_code')).toBe(200);
    expect(tag(infer, 'streamtune.model')).toBe('m');
    expect(tag(infer, 'streamtune.version')).toBe(answered.model_version);
  }, 240_000);
});
