/**
 * Text spans end to end, as a user runs them: a Label Studio JSON export of
 * entity-labelled sentences → `streamtune produce --from-label-studio` → Kafka →
 * a real trainer process learns them (SpanTagger) → served → read with grpcurl
 * (the command docs/labelling.md shows), KServe v2 REST with curl and the Open
 * Inference Protocol with tritonclient.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { StreamtuneServer } from '../../src/app/streamtune-server.js';
import { loadConfig } from '../../src/core/index.js';
import { entityCounts, f1Of } from '../../src/evaluation/index.js';
import { createKafka, ensureTopics, EventProducer, type Span } from '../../src/ingest/index.js';
import { curlBin, documentedCommands, grpcurlBin, run, tritonPython } from '../helpers/outside-tools.js';
import { spanStream } from '../helpers/span-stream.js';
import { useTestBackend } from '../helpers/test-backend.js';
import { uniq, waitFor } from '../helpers/wait-for.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const brokers = inject('kafkaBrokers');
const TRAIN = 400;

/** `streamtune …` from the sources, as `npx streamtune` runs it. */
const cli = (args: string[]) => run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts'), ...args], { cwd: ROOT, timeoutMs: 120_000 });

/** Spans as grpcurl prints them (protobuf JSON leaves out a start of 0). */
const wireSpans = (p: { spans?: Partial<Span & { text: string }>[] }): (Span & { text: string })[] =>
  (p.spans ?? []).map((s) => ({ start: s.start ?? 0, end: s.end ?? 0, label: s.label ?? '', text: s.text ?? '' }));

describe('text spans: Label Studio export → Kafka → trainer → served → grpcurl', () => {
  let dir: string;
  let app: StreamtuneServer;
  const id = uniq();
  const labelsTopic = `test.spans.labels.${id}`;

  beforeAll(async () => {
    const backend = await useTestBackend();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-spans-'));
    const registry = path.join(dir, 'registry');
    const created = await cli(['models', 'create', 'ner', '--input', 'text', '--task', 'spans', '--labels', 'PER,LOC', '--registry', registry]);
    expect({ status: created.status, out: created.stdout + created.stderr }).toMatchObject({ status: 0 });
    expect(JSON.parse(created.stdout)).toMatchObject({ model: 'ner', task: 'spans', labels: ['PER', 'LOC'], input: 'text' });
    const config = loadConfig({
      overrides: {
        model: 'ner',
        registryDir: registry,
        backend,
        kafka: { brokers: brokers.split(','), labelsTopic, dlqTopic: `test.spans.dlq.${id}`, groupId: `spans-${id}` },
        serving: { port: 0, http: { port: 0 } },
        metrics: { port: 0 },
        training: { maxBatchSize: 20, maxBatchWaitMs: 50, versionEverySteps: 5, versionEveryMs: 500 },
      },
    });
    app = new StreamtuneServer(config, () => undefined);
    await ensureTopics(createKafka(brokers.split(',')), [{ topic: labelsTopic }]);
    await app.start();
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('learns the spans online and serves them: held-out entity F1 above 0.8, the documented grpcurl call and ModelInfer answer with the entities', async () => {
    // A Label Studio export: one task per sentence, its entities as `labels` regions.
    const tasks = spanStream(TRAIN, 1).map((e, i) => ({
      id: i + 1,
      data: { text: e.text },
      annotations: [{ result: e.spans.map((s) => ({ type: 'labels', from_name: 'label', to_name: 'text', value: { start: s.start, end: s.end, text: e.text.slice(s.start, s.end), labels: [s.label] } })) }],
    }));
    const exportFile = path.join(dir, 'export.json');
    await fs.writeFile(exportFile, JSON.stringify(tasks));
    const produced = await cli(['produce', '--from-label-studio', exportFile, '--brokers', brokers, '--topic', labelsTopic]);
    expect({ status: produced.status, err: produced.stderr }).toMatchObject({ status: 0 });

    await waitFor(`a served version of "ner" that learned all ${TRAIN} texts`, () => (app.fleet.get('ner').holder.meta?.examplesSeen ?? 0) >= TRAIN, 180_000);
    const served = app.fleet.get('ner').holder.meta!;
    expect(served.examplesSeen).toBe(TRAIN);
    expect(served.description).toMatchObject({ className: 'SpanTagger', task: 'spans', labels: ['PER', 'LOC'] });

    const grpcurl = grpcurlBin();
    const address = app.grpc!.address;
    // Held-out sentences, half of their names and places never seen in training, read with grpcurl.
    const heldOut = spanStream(100, 77, true);
    const body = JSON.stringify({ model: 'ner', instances: heldOut.map((e) => ({ text: e.text })) });
    const r = await run(grpcurl, ['-plaintext', '-d', body, address, 'streamtune.v1.Predictor/Predict'], { timeoutMs: 60_000 });
    expect({ status: r.status, err: r.stderr }).toMatchObject({ status: 0 });
    const answer = JSON.parse(r.stdout) as { version: string; predictions: { spans?: Partial<Span & { text: string }>[] }[] };
    const predicted = answer.predictions.map(wireSpans);
    for (const [i, spans] of predicted.entries()) for (const s of spans) expect(s.text).toBe(heldOut[i]!.text.slice(s.start, s.end));
    const f1 = f1Of(predicted.map((spans, i) => entityCounts(heldOut[i]!.spans, spans)));
    expect(f1).toBeGreaterThan(0.8);

    // The command docs/labelling.md shows, as written but for the address.
    const [documented] = documentedCommands('grpcurl', [path.join(ROOT, 'docs', 'labelling.md')]);
    const line = documented!.command.replace(/^grpcurl /, `${JSON.stringify(grpcurl)} `).replaceAll('127.0.0.1:50051', address);
    const doc = await run('bash', ['-c', line], { timeoutMs: 60_000 });
    expect({ status: doc.status, err: doc.stderr }).toMatchObject({ status: 0 });
    expect(wireSpans((JSON.parse(doc.stdout) as { predictions: { spans?: Partial<Span>[] }[] }).predictions[0]!)).toEqual([
      { start: 15, end: 19, label: 'LOC', text: 'Oslo' },
      { start: 25, end: 30, label: 'PER', text: 'Grace' },
    ]);

    // A text over the model's limit is INVALID_ARGUMENT naming the field.
    const long = await run(grpcurl, ['-plaintext', '-d', JSON.stringify({ model: 'ner', instances: [{ text: 'x'.repeat(10_001) }] }), address, 'streamtune.v1.Predictor/Predict'], { timeoutMs: 60_000 });
    expect(long.status).not.toBe(0);
    expect(long.stderr).toMatch(/InvalidArgument[\s\S]*instances\[0\]\.text has 10001 characters, over the model's limit of 10000/);

    // The CLI prints the spans, and an empty list (not a regressor's 0) for a text without entities.
    const printed = await cli(['predict', '--address', address, '--model', 'ner', '--text', 'the meeting in Oslo with Grace']);
    expect(JSON.parse(printed.stdout).predictions).toEqual([{ spans: [{ start: 15, end: 19, label: 'LOC', text: 'Oslo' }, { start: 25, end: 30, label: 'PER', text: 'Grace' }] }]);
    const none = await cli(['predict', '--address', address, '--model', 'ner', '--text', 'nothing to see']);
    expect(JSON.parse(none.stdout).predictions).toEqual([{ spans: [] }]);

    // KServe v2 REST with curl: one BYTES output, `spans`, a JSON array per row.
    const rest = await run(curlBin(), ['-s', '-X', 'POST', '-H', 'content-type: application/json', '-d', JSON.stringify({ inputs: [{ name: 'input', datatype: 'BYTES', shape: [1], data: ['the meeting in Oslo with Grace'] }] }), `${app.grpc!.rest!.url}/v2/models/ner/infer`]);
    const infer = JSON.parse(rest.stdout) as { outputs: { name: string; datatype: string; shape: number[]; data: string[] }[] };
    expect(infer.outputs.map((o) => [o.name, o.datatype, o.shape])).toEqual([['spans', 'BYTES', [1]]]);
    expect(JSON.parse(infer.outputs[0]!.data[0]!)).toEqual([
      { start: 15, end: 19, label: 'LOC', text: 'Oslo' },
      { start: 25, end: 30, label: 'PER', text: 'Grace' },
    ]);

    // NVIDIA's tritonclient over the Open Inference Protocol's gRPC: the BYTES output, decoded as JSON.
    const script = [
      'import json, sys, numpy as np, tritonclient.grpc as g',
      'c = g.InferenceServerClient(url=sys.argv[1])',
      'x = g.InferInput("input", [1], "BYTES")',
      'x.set_data_from_numpy(np.array([b"the meeting in Oslo with Grace"], dtype=object))',
      'r = c.infer("ner", [x], outputs=[g.InferRequestedOutput("spans")])',
      'print(json.dumps([json.loads(v) for v in r.as_numpy("spans")]))',
    ].join('\n');
    const triton = await run(tritonPython(), ['-c', script, address], { timeoutMs: 120_000 });
    expect({ status: triton.status, err: triton.stderr }).toMatchObject({ status: 0 });
    expect(JSON.parse(triton.stdout)).toEqual([[{ start: 15, end: 19, label: 'LOC', text: 'Oslo' }, { start: 25, end: 30, label: 'PER', text: 'Grace' }]]);

    // Bad span events through Kafka: dead-lettered with their reasons, the stream goes on.
    const producer = new EventProducer(createKafka(brokers.split(',')), labelsTopic);
    await producer.send([
      { id: 'bad-1', model: 'ner', input: { text: 'meet Alice' }, label: { spans: [{ start: 0, end: 6, label: 'PER' }, { start: 5, end: 10, label: 'PER' }] } },
      { id: 'bad-2', model: 'ner', input: { text: 'meet Alice' }, label: { spans: [{ start: 5, end: 10, label: 'ORG' }] } },
      { id: 'bad-3', model: 'ner', input: { text: 'meet Alice' }, label: 'PER' },
    ]);
    await producer.close();
    const rejected = (text: string, reason: string): number => Number(new RegExp(`^streamtune_events_rejected_total\\{reason="${reason}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
    await waitFor('the three bad span events dead-lettered', async () => {
      const text = await (await fetch(app.metricsUrl)).text();
      return rejected(text, 'overlapping_spans') === 1 && rejected(text, 'unknown_label') === 1 && rejected(text, 'wrong_label_kind') === 1;
    });

    // Entity F1 exported per model, and recorded in the versions.
    const metrics = await (await fetch(app.metricsUrl)).text();
    expect(Number(/^streamtune_online_span_f1\{model="ner"\} ([\d.]+)/m.exec(metrics)?.[1])).toBeGreaterThan(0.5);
    expect(served.metrics.prequentialSpanF1).toBeGreaterThan(0.5);
  }, 720_000);
});
