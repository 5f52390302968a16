import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StreamtuneServer } from '../../src/app/streamtune-server.js';
import { loadConfig, Logger, seededRandom } from '../../src/core/index.js';
import { createKafka, ensureTopics, EventProducer } from '../../src/ingest/index.js';
import { DenseClassifier } from '../../src/learners/index.js';
import { PredictorClient } from '../../src/serving/index.js';
import { startPrivateBroker, type PrivateBroker } from '../helpers/private-broker.js';
import { alive, runCli } from '../helpers/processes.js';
import { useTestBackend } from '../helpers/test-backend.js';
import { uniq, waitFor } from '../helpers/wait-for.js';

type LogLine = { level: string; msg: string; event?: string };

function events(n: number, seed: number): { id: string; input: { features: number[] }; label: string }[] {
  const rand = seededRandom(seed);
  return Array.from({ length: n }, (_, i) => {
    const x = [rand() * 2 - 1, rand() * 2 - 1];
    return { id: `s${seed}-${i}`, input: { features: x }, label: x[0]! > x[1]! ? 'a' : 'b' };
  });
}

/** A registry with one base version of model "m" (2 features, labels a/b). */
async function registry(): Promise<{ dir: string; backend: string }> {
  const backend = await useTestBackend();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-supervise-'));
  const base = new DenseClassifier({ featureSpec: { kind: 'features', dim: 2 }, labels: ['a', 'b'], hiddenUnits: [8] });
  await new StreamtuneServer(loadConfig({ overrides: { registryDir: dir } }), () => undefined).store.save('m', base, {
    parent: null,
    regime: 'test',
    backend,
    examplesSeen: 0,
    metrics: {},
    offsets: {},
  });
  base.dispose();
  return { dir, backend };
}

const parse = (lines: string[]): LogLine[] => lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);
const metric = async (url: string, re: RegExp): Promise<string | undefined> => re.exec(await (await fetch(url)).text())?.[1];

describe('trainer supervision (issue 11: D2, D7, a broker unreachable at start)', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  });

  it('`streamtune serve --brokers 127.0.0.1:1` serves, warns once naming the broker, reports trainer_up 0 and keeps trying without exiting', async () => {
    const { dir } = await registry();
    cleanup.push(() => fs.rm(dir, { recursive: true, force: true }));
    const { child, lines } = runCli(['serve', '--model', 'm', '--registry', dir, '--brokers', '127.0.0.1:1', '--port', '0', '--http-port', '0', '--metrics-port', '0'], { STREAMTUNE_LOG_LEVEL: 'debug' });
    cleanup.push(async () => child.kill('SIGKILL'));
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    const running = (): void => {
      if (child.exitCode !== null) throw new Error(`serve exited (code ${child.exitCode}):\n${lines.slice(-5).join('\n')}`);
    };
    // Several attempts, each refused: learning is retried while serving goes on.
    await waitFor(
      'three failed trainer start attempts',
      () => {
        running();
        return parse(lines).filter((l) => l.event === 'trainer_start_failed').length >= 3;
      },
      120_000,
    );
    const log = parse(lines);
    const address = /gRPC Predictor on (\S+)/.exec(log.find((l) => l.msg.startsWith('gRPC Predictor on'))!.msg)![1]!;
    const metricsUrl = /metrics on (\S+)/.exec(log.find((l) => l.msg.startsWith('metrics on'))!.msg)![1]!;
    const client = new PredictorClient(address);
    expect((await client.predict([{ features: [0.5, -0.5] }])).version).toBe('v1');
    client.close();
    expect(await metric(metricsUrl, /^streamtune_trainer_up\{model="m"\} (\d+)$/m)).toBe('0');
    // One warning naming the broker, not one per attempt; no connection error at info level.
    const loud = log.filter((l) => (l.level === 'warn' || l.level === 'error') && l.msg.includes('127.0.0.1:1'));
    expect(loud.map((l) => l.level)).toEqual(['warn']);
    expect(loud[0]!.msg).toMatch(/Kafka broker 127\.0\.0\.1:1 unreachable/);
    expect(log.filter((l) => l.level === 'info' && /ECONNREFUSED|Connection error/.test(l.msg))).toEqual([]);
    running();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 180_000);

  let broker: PrivateBroker;
  it('a trainer killed while the broker is down for 65 s is restarted when the broker answers and learns again; exits and failed restarts are logged at warn or error', async () => {
    broker = await startPrivateBroker('supervise');
    cleanup.push(() => broker.destroy());
    const { dir, backend } = await registry();
    cleanup.push(() => fs.rm(dir, { recursive: true, force: true }));
    const id = uniq();
    const labelsTopic = `test.supervise.labels.${id}`;
    const lines: string[] = [];
    // What an operator sees with STREAMTUNE_LOG_LEVEL=warn.
    const logger = new Logger({ level: 'warn', format: 'json', sink: (l) => lines.push(l) });
    const config = loadConfig({
      overrides: {
        model: 'm',
        registryDir: dir,
        backend,
        kafka: { brokers: broker.brokers, labelsTopic, dlqTopic: `test.supervise.dlq.${id}`, groupId: `supervise-${id}`, sessionTimeoutMs: 6000 },
        serving: { port: 0, http: { port: 0 } },
        metrics: { port: 0 },
        training: { maxBatchSize: 10, maxBatchWaitMs: 50, versionEverySteps: 3, versionEveryMs: 500 },
      },
    });
    await ensureTopics(createKafka(broker.brokers), [{ topic: labelsTopic }]);
    const app = new StreamtuneServer(config, logger);
    cleanup.push(() => app.close());
    await app.start();
    const client = new PredictorClient(app.grpc!.address);
    cleanup.push(async () => client.close());

    let producer = new EventProducer(createKafka(broker.brokers), labelsTopic);
    await producer.send(events(50, 1));
    await producer.close();
    await waitFor('a served version that learned 50 events', () => (app.holder.meta?.examplesSeen ?? 0) >= 50, 90_000);

    await broker.stop();
    const first = app.trainer!;
    const firstPid = first.pid!;
    // With the broker gone the trainer may already be on its way out by itself: either way, it is gone. Killed through
    // its ChildProcess, which never signals a pid once the process exited (another process may have that pid now).
    first.kill();
    // The outage of the issue: longer than one trainer start's ~50 s of Kafka retries.
    await new Promise((r) => setTimeout(r, 65_000));
    expect((await client.predict([{ features: [0.5, -0.5] }])).version).toBe(app.holder.version);
    expect(await metric(app.metricsUrl, /^streamtune_trainer_up\{model="m"\} (\d+)$/m)).toBe('0');
    await broker.start();

    producer = new EventProducer(createKafka(broker.brokers), labelsTopic);
    await producer.send(events(50, 2));
    await producer.close();
    await waitFor('a served version that learned all 100 events', () => (app.holder.meta?.examplesSeen ?? 0) >= 100, 180_000);
    expect(app.holder.meta!.examplesSeen).toBe(100);
    expect(app.trainer!.pid).not.toBe(firstPid);
    expect(alive(app.trainer!.pid!)).toBe(true);
    expect(await metric(app.metricsUrl, /^streamtune_trainer_up\{model="m"\} (\d+)$/m)).toBe('1');

    const log = parse(lines);
    // The kill, or the trainer leaving by itself first when its broker went away (code 1).
    expect(log.find((l) => l.event === 'trainer_exit')).toMatchObject({ level: 'error', msg: expect.stringMatching(/trainer exited \((code null, signal SIGKILL|code [1-9]\d*, signal null)\); restarting in \d+ ms/) });
    const failed = log.filter((l) => l.event === 'trainer_start_failed');
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(failed[0]).toMatchObject({ level: 'warn', msg: expect.stringContaining(`Kafka broker ${broker.brokers[0]} unreachable`) });
  }, 540_000);
});
