/**
 * The feedback loop as a user runs it: a real `streamtune serve` and `streamtune join`,
 * grpcurl and curl for Predict, ModelInfer and Feedback, the real broker; the joiner is
 * SIGKILLed while feedback flows, and no label is lost or joined twice.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createKafka, ensureTopics } from '../../src/ingest/index.js';
import { DenseClassifier } from '../../src/learners/index.js';
import { VersionStore } from '../../src/registry/index.js';
import { clientOf, unary, type AnyClient } from '../helpers/grpc-call.js';
import { grpcurlBin, run } from '../helpers/outside-tools.js';
import { runCli } from '../helpers/processes.js';
import { useTestBackend } from '../helpers/test-backend.js';
import { uniq, waitFor } from '../helpers/wait-for.js';

const brokers = inject('kafkaBrokers').split(',');
const found = (lines: string[], re: RegExp): string | undefined => lines.map((l) => re.exec(l)?.[1]).find(Boolean);

describe('feedback by prediction id, joined exactly once', () => {
  const id = uniq();
  const topics = { labels: `test.fb.labels.${id}`, dlq: `test.fb.dlq.${id}`, predictions: `test.fb.predictions.${id}`, state: `test.fb.state.${id}` };
  const kafka = createKafka(brokers);
  const cleanup: (() => Promise<unknown>)[] = [];
  let dir: string;
  let configFile: string;
  let grpcAddress: string;
  let restUrl: string;
  let serveMetrics: string;
  let client: AnyClient;
  let grpcurl: string;
  const labelsSeen: KafkaMessage[] = [];
  const dlqSeen: KafkaMessage[] = [];

  const startJoiner = async (): Promise<{ child: ReturnType<typeof runCli>['child']; metricsUrl: string }> => {
    const { child, lines } = runCli(['join', '--config', configFile]);
    cleanup.push(async () => child.exitCode === null && child.kill('SIGKILL'));
    await waitFor('the joiner to join', () => lines.some((l) => l.includes('joiner_up')), 120_000);
    return { child, metricsUrl: found(lines, /feedback metrics on (http:\S+?)"/)! };
  };

  beforeAll(async () => {
    const backend = await useTestBackend();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-feedback-'));
    cleanup.push(() => fs.rm(dir, { recursive: true, force: true }));
    const base = new DenseClassifier({ featureSpec: { kind: 'features', dim: 3 }, labels: ['p', 'q'], hiddenUnits: [8] });
    await new VersionStore(dir).save('m', base, { parent: null, regime: 'test', backend, examplesSeen: 0, metrics: {}, offsets: {} });
    base.dispose();
    await ensureTopics(kafka, [{ topic: topics.labels }, { topic: topics.dlq }]);
    configFile = path.join(dir, 'config.json');
    await fs.writeFile(
      configFile,
      JSON.stringify({
        model: 'm',
        registryDir: dir,
        backend,
        kafka: { brokers, labelsTopic: topics.labels, dlqTopic: topics.dlq, groupId: `fb-trainer-${id}`, sessionTimeoutMs: 6000 },
        serving: { port: 0, http: { port: 0 } },
        metrics: { port: 0 },
        training: { maxBatchSize: 5, maxBatchWaitMs: 20, versionEverySteps: 2, versionEveryMs: 500 },
        feedback: { log: { enabled: true, topic: topics.predictions }, stateTopic: topics.state, groupId: `fb-joiner-${id}`, windowMs: 45_000, sweepIntervalMs: 500, metricsPort: 0 },
      }),
    );
    const { child, lines } = runCli(['serve', '--config', configFile]);
    cleanup.push(async () => child.exitCode === null && child.kill('SIGKILL'));
    await waitFor('serve to consume', () => lines.some((l) => l.includes('trainer consuming')), 180_000);
    grpcAddress = found(lines, /gRPC Predictor on (\S+?) /)!;
    restUrl = found(lines, /KServe v2 REST on (http:\S+?)\/v2/)!;
    serveMetrics = found(lines, /metrics on (http:\S+?\/metrics)/)!;
    client = clientOf('streamtune.v1.Predictor', grpcAddress);
    grpcurl = grpcurlBin();
    for (const [topic, into] of [[topics.labels, labelsSeen], [topics.dlq, dlqSeen]] as const) {
      const consumer = kafka.consumer({ groupId: `fb-reader-${uniq()}` });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void into.push(message) });
      cleanup.push(() => consumer.disconnect());
    }
  }, 240_000);

  afterAll(async () => {
    client?.close();
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  });

  const grpcurlJson = async (method: string, body: object): Promise<Record<string, unknown>> => {
    const r = await run(grpcurl, ['-plaintext', '-d', JSON.stringify(body), grpcAddress, method], { timeoutMs: 60_000 });
    expect({ method, status: r.status, err: r.stderr }).toMatchObject({ status: 0 });
    return JSON.parse(r.stdout) as Record<string, unknown>;
  };
  const curlJson = async (url: string, body: object): Promise<{ code: number; json: Record<string, unknown> }> => {
    const r = await run('curl', ['-s', '-w', '\n%{http_code}', '-H', 'content-type: application/json', '-d', JSON.stringify(body), url], { timeoutMs: 60_000 });
    const [json, code] = [r.stdout.slice(0, r.stdout.lastIndexOf('\n')), r.stdout.slice(r.stdout.lastIndexOf('\n') + 1)];
    return { code: Number(code), json: JSON.parse(json) as Record<string, unknown> };
  };
  const joinedEvents = (): { id: string; label: unknown; input: unknown }[] =>
    labelsSeen.map((m) => JSON.parse(m.value!.toString()) as { id: string; label: unknown; input?: unknown; prediction_id?: string }).filter((e) => e.input !== undefined) as { id: string; label: unknown; input: unknown }[];
  const letters = (reason: string): KafkaMessage[] => dlqSeen.filter((m) => m.headers?.['streamtune-reason']?.toString() === reason);

  it('returns ids from Predict (grpcurl) and ModelInfer (curl); labels by id are joined once, through a joiner SIGKILL; duplicates and unknown ids are dead-lettered; the model learns them', async () => {
    let joiner = await startJoiner();
    // grpcurl Predict: a generated id, and the caller's request_id kept.
    const a = await grpcurlJson('streamtune.v1.Predictor/Predict', { model: 'm', instances: [{ features: { values: [0.5, -0.2, 0.1] } }] });
    const generated = (a.predictions as { predictionId: string }[])[0]!.predictionId;
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    const b = await grpcurlJson('streamtune.v1.Predictor/Predict', { model: 'm', requestId: `req-${id}`, instances: [{ features: { values: [-0.5, 0.2, 0.1] } }] });
    expect((b.predictions as { predictionId: string }[])[0]!.predictionId).toBe(`req-${id}`);
    // curl ModelInfer: the KServe id kept, the prediction ids as a parameter.
    const infer = await curlJson(`${restUrl}/v2/models/m/infer`, { id: `rest-${id}`, inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 3], data: [0.1, 0.2, 0.3, -0.1, -0.2, -0.3] }] });
    expect(infer.code).toBe(200);
    expect(infer.json).toMatchObject({ id: `rest-${id}`, parameters: { prediction_ids: `rest-${id}/0,rest-${id}/1` } });

    // PredictStream: each answer carries its predictions' ids; gRPC ModelInfer: a generated id and the parameter.
    const stream = (client.PredictStream as () => NodeJS.ReadWriteStream & { write(m: object): boolean })();
    const answers = new Promise<{ predictions: { predictionId: string }[] }[]>((resolve) => {
      const out: { predictions: { predictionId: string }[] }[] = [];
      stream.on('data', (d: { predictions: { predictionId: string }[] }) => out.push(d));
      stream.on('end', () => resolve(out));
    });
    stream.write({ model: 'm', requestId: `ps-${id}`, instances: [{ features: { values: [0.5, 0.5, 0] } }, { features: { values: [0, 0, 0] } }] });
    stream.end();
    expect((await answers)[0]!.predictions.map((p) => p.predictionId)).toEqual([`ps-${id}/0`, `ps-${id}/1`]);
    const oip = clientOf('inference.GRPCInferenceService', grpcAddress);
    cleanup.push(async () => oip.close());
    const inferred = await unary<{ id: string; parameters: Record<string, { stringParam?: string }> }>(oip, 'ModelInfer', {
      modelName: 'm',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3], contents: { fp32Contents: [0.5, 0.5, 0] } }],
    });
    expect(inferred.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(inferred.parameters.prediction_ids?.stringParam).toBe(inferred.id);

    // Feedback by grpcurl and curl; bad feedback is refused naming the field.
    expect(await grpcurlJson('streamtune.v1.Predictor/Feedback', { model: 'm', predictionId: generated, label: 'p' })).toMatchObject({ topic: topics.labels });
    expect((await curlJson(`${restUrl}/v2/models/m/feedback`, { prediction_id: `rest-${id}/1`, label: 'q' })).code).toBe(200);
    const bad = await curlJson(`${restUrl}/v2/models/m/feedback`, { prediction_id: `rest-${id}/0`, label: 'zebra' });
    expect([bad.code, bad.json.error]).toEqual([400, expect.stringContaining('label')]);
    const badRpc = await run(grpcurl, ['-plaintext', '-d', JSON.stringify({ model: 'm', label: 'p' }), grpcAddress, 'streamtune.v1.Predictor/Feedback'], { timeoutMs: 60_000 });
    expect(`${badRpc.stdout}${badRpc.stderr}`).toMatch(/InvalidArgument[\s\S]*prediction_id/);

    // A stream of predictions and their feedback; the joiner is killed halfway.
    const n = 40;
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const res = await unary<{ predictions: { predictionId: string }[] }>(client, 'Predict', { model: 'm', requestId: `s-${id}-${i}`, instances: [{ features: { values: [i % 2 ? 0.5 : -0.5, 0.25, 0] } }] });
      ids.push(res.predictions[0]!.predictionId);
    }
    const feedback = (i: number): Promise<unknown> => unary(client, 'Feedback', { model: 'm', predictionId: ids[i], label: i % 2 ? 'p' : 'q' });
    for (let i = 0; i < n / 2; i++) await feedback(i);
    await waitFor('some labels joined', () => joinedEvents().length >= 5, 120_000);
    joiner.child.kill('SIGKILL');
    for (let i = n / 2; i < n; i++) await feedback(i);
    joiner = await startJoiner();
    await waitFor(`all ${n + 2} labels joined`, () => new Set(joinedEvents().map((e) => e.id)).size >= n + 2, 180_000);

    // A second label for a labelled prediction, and a label for a prediction never made.
    await feedback(0);
    await unary(client, 'Feedback', { model: 'm', predictionId: `never-${id}`, label: 'p' });
    await waitFor('the duplicate dead-lettered', () => letters('duplicate_feedback').length >= 1, 120_000);
    await waitFor('the unknown id dead-lettered when its window closed', () => letters('no_prediction').length >= 1, 180_000);

    const joined = joinedEvents();
    const expected = [generated, `rest-${id}/1`, ...ids].sort();
    expect(joined.map((e) => e.id).sort()).toEqual(expected);
    const s5 = joined.find((e) => e.id === ids[5])!;
    // Predict's features are float32 on the wire: the logged input is what the model saw.
    expect(s5).toMatchObject({ label: 'p', input: { features: [0.5, 0.25, 0] } });
    expect(letters('duplicate_feedback').map((m) => m.key!.toString())).toEqual([ids[0]]);
    expect(letters('no_prediction').map((m) => m.key!.toString())).toEqual([`never-${id}`]);
    // The trainer passes labels by reference by (it reads them too): no other dead letter.
    expect(dlqSeen.map((m) => m.headers?.['streamtune-reason']?.toString()).sort()).toEqual(['duplicate_feedback', 'no_prediction']);

    // The joiner's live metrics, and the trainer learned exactly the joined events.
    const text = await (await fetch(joiner.metricsUrl)).text();
    expect(text).toMatch(/^streamtune_feedback_unmatched_total\{model="m"\} 1$/m);
    expect(text).toMatch(/^streamtune_feedback_duplicates_total\{model="m"\} 1$/m);
    // Which version answered the stream of calls depends on how soon the first labels were learned (v1, or a later one).
    expect(text).toMatch(/^streamtune_feedback_served_accuracy\{model="m",version="v\d+"\} [0-9.]+$/m);
    expect(text).toMatch(/^streamtune_feedback_label_delay_seconds_count\{model="m"\} [1-9]/m);
    // streamtune status shows the live ground truth of the serving version.
    const status = await run(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts'), 'status', '--address', grpcAddress, '--model', 'm', '--metrics-url', serveMetrics, '--feedback-metrics-url', joiner.metricsUrl, '--json'], { timeoutMs: 120_000 });
    expect({ status: status.status, err: status.stderr }).toMatchObject({ status: 0 });
    const fb = (JSON.parse(status.stdout) as { version: string; feedback: { servedAccuracy: number | null; unmatched: number; duplicates: number; joined: number } }).feedback;
    expect(fb).toMatchObject({ unmatched: 1, duplicates: 1 });
    expect(fb.joined).toBeGreaterThanOrEqual(n / 2);
    const examples = async (): Promise<number> => Number(/^streamtune_train_examples_total\{model="m"\} (\d+)/m.exec(await (await fetch(serveMetrics)).text())?.[1] ?? 0);
    await waitFor('the trainer to learn every joined label', async () => (await examples()) >= n + 2, 120_000);
    expect(await examples()).toBe(n + 2);
    const logged = /^streamtune_prediction_log_records_total\{outcome="logged"\} (\d+)/m.exec(await (await fetch(serveMetrics)).text())?.[1];
    // 2 grpcurl Predicts, 2 REST rows, 2 PredictStream rows, 1 gRPC ModelInfer row and the stream.
    expect(Number(logged)).toBe(n + 7);
  }, 900_000);
});
