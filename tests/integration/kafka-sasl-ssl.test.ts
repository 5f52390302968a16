/**
 * Every Kafka client of streamtune over a SASL_SSL listener, as a managed Kafka
 * runs one: a broker of this file alone (scripts/kafka.sh with KAFKA_SASL_SSL=1)
 * with its own CA, client certificates required (mTLS), and SASL users that log
 * in with PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamtuneServer } from '../../src/app/streamtune-server.js';
import { loadConfig, seededRandom, type ConfigInput } from '../../src/core/index.js';
import { createKafka, EventProducer, type KafkaConnection } from '../../src/ingest/index.js';
import { DenseClassifier } from '../../src/learners/index.js';
import { VersionStore } from '../../src/registry/index.js';
import { PredictorClient } from '../../src/serving/index.js';
import { run } from '../helpers/outside-tools.js';
import { startPrivateBroker, type PrivateBroker } from '../helpers/private-broker.js';
import { readTopic } from '../helpers/read-topic.js';
import { useTestBackend } from '../helpers/test-backend.js';
import { makeTestPki, type TestPki } from '../helpers/test-pki.js';
import { uniq, waitFor } from '../helpers/wait-for.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const MAIN = path.join(ROOT, 'src', 'cli', 'main.ts');
const TSX = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');
const PASSWORD = 'alice-pw-7d1c';

describe('Kafka over SASL_SSL (client certificates required; SASL PLAIN and SCRAM)', { timeout: 480_000 }, () => {
  let dir: string;
  let pki: TestPki;
  let broker: PrivateBroker | undefined;
  let passwordFile: string;
  const cleanup: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-sasl-ssl-'));
    pki = makeTestPki(dir, { keystores: true });
    passwordFile = path.join(dir, 'password');
    await fs.writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    await fs.writeFile(path.join(dir, 'users'), `alice:${PASSWORD}\n`, { mode: 0o600 });
    broker = await startPrivateBroker('sasl-ssl', {
      KAFKA_SASL_SSL: '1',
      KAFKA_SSL_KEYSTORE: pki.keystore,
      KAFKA_SSL_KEYSTORE_PASSWORD: pki.storePassword,
      KAFKA_SSL_TRUSTSTORE: pki.truststore,
      KAFKA_SSL_TRUSTSTORE_PASSWORD: pki.storePassword,
      KAFKA_SSL_CLIENT_AUTH: 'required',
      KAFKA_SASL_USERS_FILE: path.join(dir, 'users'),
    });
  });

  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
    await broker?.destroy();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  const ssl = () => ({ caFile: pki.caFile, certFile: pki.clientCertFile, keyFile: pki.clientKeyFile });
  const connection = (mechanism: string): KafkaConnection => loadConfig({ overrides: { kafka: { brokers: broker!.brokers, ssl: ssl(), sasl: { mechanism, username: 'alice', passwordFile } } } }).kafka;

  /** `streamtune ARGS` with the brokers and their TLS and SASL settings in the environment only. */
  async function streamtune(args: string[], settings: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; lines: string[] }> {
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('STREAMTUNE_') || k === 'KAFKA_BROKERS') delete env[k];
    Object.assign(env, {
      KAFKA_BROKERS: broker!.brokers.join(','),
      STREAMTUNE_KAFKA_CA_FILE: pki.caFile,
      STREAMTUNE_KAFKA_CERT_FILE: pki.clientCertFile,
      STREAMTUNE_KAFKA_KEY_FILE: pki.clientKeyFile,
      STREAMTUNE_KAFKA_SASL_MECHANISM: 'PLAIN',
      STREAMTUNE_KAFKA_SASL_USERNAME: 'alice',
      STREAMTUNE_KAFKA_SASL_PASSWORD_FILE: passwordFile,
      ...settings,
    });
    const r = await run(process.execPath, ['--import', TSX, MAIN, ...args], { env, timeoutMs: 90_000, cwd: ROOT });
    return { status: r.status, stdout: r.stdout, lines: r.stderr.split('\n').filter((l) => l && !/^sent \d+\/\d+ events/.test(l)) };
  }

  it('the CLI produces; a wrong password or an untrusted certificate is one line naming the broker and the cause, exit 2', async () => {
    const topic = `test.sasl.cli.${uniq()}`;
    const file = path.join(dir, 'events.jsonl');
    await fs.writeFile(file, Array.from({ length: 20 }, (_, i) => JSON.stringify({ id: `c${i}`, input: { features: [i, -i] }, label: i % 2 ? 'a' : 'b' })).join('\n'));
    const ok = await streamtune(['produce', file, '--topic', topic]);
    expect({ status: ok.status, lines: ok.lines }).toEqual({ status: 0, lines: [] });
    expect(JSON.parse(ok.stdout)).toMatchObject({ topic, sent: 20, rejected: 0 });
    // Read back with SCRAM-SHA-256: a consumer group over the same listener.
    expect(await readTopic(createKafka(connection('scram-sha-256'), 'sasl-test-reader'), topic, 20)).toHaveLength(20);

    const b = broker!.brokers[0]!.replace(/\./g, '\\.');
    const oneLine = (r: { status: number | null; lines: string[] }, re: RegExp): void => {
      expect({ status: r.status, lines: r.lines }).toEqual({ status: 2, lines: [expect.stringMatching(re)] });
    };
    const wrong = path.join(dir, 'wrong-password');
    await fs.writeFile(wrong, 'not-her-password\n');
    const refused = await streamtune(['produce', file, '--topic', topic], { STREAMTUNE_KAFKA_SASL_PASSWORD_FILE: wrong });
    oneLine(refused, new RegExp(`^streamtune produce: Kafka broker ${b} refused the SASL PLAIN login of "alice": wrong username or password$`));
    expect(refused.lines.join('\n')).not.toContain('not-her-password');
    oneLine(
      await streamtune(['learn', '--registry', path.join(dir, 'none')], { STREAMTUNE_KAFKA_SASL_MECHANISM: 'scram-sha-512', STREAMTUNE_KAFKA_SASL_PASSWORD_FILE: wrong }),
      new RegExp(`^streamtune learn: Kafka broker ${b} refused the SASL SCRAM-SHA-512 login of "alice": wrong username or password$`),
    );
    oneLine(
      await streamtune(['produce', file, '--topic', topic], { STREAMTUNE_KAFKA_CA_FILE: pki.otherCaFile }),
      new RegExp(`^streamtune produce: Kafka broker ${b} is not trusted \\(self-signed certificate in certificate chain\\): set kafka\\.ssl\\.caFile \\(STREAMTUNE_KAFKA_CA_FILE\\) to the CA that signed its certificate$`),
    );
    // A file that cannot be read stops serve at start, naming its key.
    oneLine(
      await streamtune(['serve', '--port', '0', '--http-port', '0', '--metrics-port', '0', '--registry', path.join(dir, 'none')], { STREAMTUNE_KAFKA_CA_FILE: path.join(dir, 'missing.pem') }),
      /^streamtune serve: invalid configuration "kafka\.ssl\.caFile": cannot read .*missing\.pem: no such file or directory/,
    );
  });

  it('a training server (trainer process, registry transactions, dead letters, lag) and a following replica (registry mirror, label requests) work over SASL_SSL', async () => {
    const backend = await useTestBackend();
    const [trainerDir, replicaDir] = (await Promise.all(['trainer', 'replica'].map((n) => fs.mkdtemp(path.join(dir, `${n}-`))))) as [string, string];
    const id = uniq();
    const requestsTopic = `test.sasl.requests.${id}`;
    const base = {
      model: 'm',
      backend,
      registry: { mode: 'kafka' as const, topic: `test.sasl.registry.${id}`, chunkBytes: 1024 },
      // SCRAM-SHA-512 with the password inline: the trainer child must get it without its environment.
      kafka: { brokers: broker!.brokers, labelsTopic: `test.sasl.labels.${id}`, dlqTopic: `test.sasl.dlq.${id}`, modelsTopic: `test.sasl.models.${id}`, groupId: `sasl-${id}`, ssl: ssl(), sasl: { mechanism: 'scram-sha-512', username: 'alice', password: PASSWORD } },
      metrics: { port: 0, consumerLagIntervalMs: 500 },
      training: { maxBatchSize: 10, maxBatchWaitMs: 20, versionEverySteps: 4, versionEveryMs: 300 },
    } satisfies ConfigInput;
    const seed = new DenseClassifier({ featureSpec: { kind: 'features', dim: 2 }, labels: ['a', 'b'], hiddenUnits: [8] });
    const trainerStore = new VersionStore(trainerDir);
    await trainerStore.save('m', seed, { parent: null, regime: 'test', backend, examplesSeen: 0, metrics: {}, offsets: {} });
    seed.dispose();

    const server = new StreamtuneServer(loadConfig({ overrides: { ...base, registryDir: trainerDir, serving: { port: 0, http: { port: 0 } } } }), () => undefined);
    cleanup.push(() => server.close());
    await server.start();
    await waitFor('the trainer consuming', () => server.trainer?.ready === true, 120_000);
    const environ = await fs.readFile(`/proc/${server.trainer!.pid}/environ`, 'utf8');
    expect(environ).not.toContain(PASSWORD);
    expect(environ).toContain('STREAMTUNE_TRAINER_SECRETS=ipc');

    // The replica logs in with SCRAM-SHA-256 and a password file; its registry directory starts empty.
    const replicaKafka = { ...base.kafka, sasl: { mechanism: 'scram-sha-256', username: 'alice', passwordFile } };
    const replica = new StreamtuneServer(
      loadConfig({ overrides: { ...base, kafka: replicaKafka, registryDir: replicaDir, serving: { port: 0, http: { port: 0 }, follow: true, modelScanMs: 300 }, activeLearning: { enabled: true, topic: requestsTopic, threshold: 0 } } }),
      () => undefined,
    );
    cleanup.push(() => replica.close());
    await replica.start();
    // The trainer republishes v1 to the registry topic in the background after it is ready:
    // the replica serves it once its mirror has it (at start, or later with no announcement).
    await waitFor('the replica to serve v1 from its mirror', () => replica.holder.version === 'v1', 60_000);

    const kafka = createKafka(connection('scram-sha-512'), 'sasl-test-producer');
    const rand = seededRandom(7);
    const producer = new EventProducer(kafka, base.kafka.labelsTopic);
    await producer.send(
      Array.from({ length: 200 }, (_, i) => {
        const x = [rand(), rand()];
        return { id: `s${i}`, input: { features: x }, label: x[0]! > x[1]! ? 'a' : 'b' };
      }),
    );
    await producer.close();
    const raw = kafka.producer();
    await raw.connect();
    await raw.send({ topic: base.kafka.labelsTopic, messages: [{ key: 'm', value: 'not json' }, { key: 'm', value: '{"id":"no-input"}' }] });
    await raw.disconnect();

    await waitFor('a checkpoint with all 200 events', async () => (await trainerStore.meta('m', (await trainerStore.newest('m'))!)).examplesSeen === 200, 90_000);
    const newest = await trainerStore.newest('m');
    await waitFor(`the replica to serve ${newest}`, () => replica.holder.version === newest, 60_000);
    expect(await replica.store.list('m')).toEqual(await trainerStore.list('m'));
    const client = new PredictorClient(replica.grpc!.address);
    cleanup.push(async () => client.close());
    expect((await client.predict([{ features: [0.2, 0.9] }])).version).toBe(newest);

    expect(await readTopic(kafka, base.kafka.dlqTopic, 2)).toHaveLength(2);
    expect((await readTopic(kafka, requestsTopic, 1)).length).toBeGreaterThanOrEqual(1);
    await waitFor('the consumer lag measured', async () => /^streamtune_consumer_lag_messages\{topic="test\.sasl\.labels\.[^"]+",partition="0"\} 0$/m.test(await (await fetch(server.metricsUrl)).text()), 60_000);
  });
});
