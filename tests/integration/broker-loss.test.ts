/**
 * Losing a broker for real: this file starts its OWN 3-broker KRaft cluster
 * (`scripts/kafka.sh up --brokers 3`, own run dir, ports 31000-32699: clear of the
 * shared, CI and suite brokers and of the private brokers' 21000-28998), serves
 * and learns from it, SIGKILLs the broker that leads the labels partition in
 * mid-stream, starts it again, and checks that nothing was lost, nothing learned
 * twice, and no Predict call failed. It stops and wipes the cluster afterwards.
 *
 * Nothing is produced before the cluster is whole: every node must list all
 * three brokers, and every partition of every topic in use (labels, dead
 * letters, models, the consumer offsets) must have a leader and three in-sync
 * replicas. A topic created while a node had not registered yet would get fewer
 * replicas, and the failover would then lose its only copy.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ConfigResourceTypes, type Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamtuneServer } from '../../src/app/streamtune-server.js';
import { loadConfig, seededRandom } from '../../src/core/index.js';
import { createKafka, ensureTopics, EventProducer } from '../../src/ingest/index.js';
import { DenseClassifier } from '../../src/learners/index.js';
import { ensureModelsTopic } from '../../src/registry/index.js';
import { PredictorClient } from '../../src/serving/index.js';
import { expectExactlyOnce, lineage } from '../helpers/lineage.js';
import { useTestBackend } from '../helpers/test-backend.js';
import { uniq, waitFor } from '../helpers/wait-for.js';

const run = promisify(execFile);
const script = path.resolve(import.meta.dirname, '..', '..', 'scripts', 'kafka.sh');
const OFFSETS_TOPIC = '__consumer_offsets';

/** Environment of this file's cluster: node i listens on `port` + 2(i-1), its controller one above. */
function clusterEnv(runDir: string, port: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    KAFKA_RUN_DIR: runDir,
    KAFKA_PORT: String(port),
    KAFKA_CONTROLLER_PORT: String(port + 1),
    KAFKA_HEAP_OPTS: '-Xmx384m -Xms128m',
    // Three JVMs share two cores with the test: C1 only, less JIT work at start-up.
    KAFKA_JVM_OPTS: '-XX:TieredStopAtLevel=1',
    KAFKA_START_TIMEOUT_S: '150',
    // A dead broker is fenced (and its partitions get new leaders) after 4 s instead of 9 s.
    KAFKA_EXTRA_PROPERTIES: 'broker.session.timeout.ms=4000\nbroker.heartbeat.interval.ms=1000',
  };
}

function events(n: number, from: number): { id: string; input: { features: number[] }; label: string }[] {
  const rand = seededRandom(from + 7);
  return Array.from({ length: n }, (_, i) => {
    const x = [rand() * 2 - 1, rand() * 2 - 1];
    return { id: `bl-${from + i}`, input: { features: x }, label: x[0]! > x[1]! ? 'a' : 'b' };
  });
}

/** Runs `fn` with a connected admin client of `kafka`. */
async function withAdmin<T>(kafka: Kafka, fn: (admin: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

interface PartitionState {
  topic: string;
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
}

/** Every partition of `topics` as metadata shows it; an unknown topic (not created or not yet heard of) gives none. */
async function partitions(kafka: Kafka, topics: string[]): Promise<PartitionState[]> {
  try {
    const meta = await withAdmin(kafka, (a) => a.fetchTopicMetadata({ topics }));
    return meta.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr })));
  } catch {
    return [];
  }
}

/** True when each of `topics` has partitions and each one has a leader and `replicas` replicas, all in sync. */
async function fullyReplicated(kafka: Kafka, topics: string[], replicas: number): Promise<boolean> {
  const ps = await partitions(kafka, topics);
  return topics.every((t) => ps.some((p) => p.topic === t)) && ps.every((p) => p.leader >= 0 && p.replicas.length === replicas && p.isr.length === replicas);
}

describe('a 3-broker cluster loses the leader of the labels partition in mid-stream', () => {
  let brokers: string[] = [];
  let env: NodeJS.ProcessEnv | undefined;
  let dir: string | undefined;
  let app: StreamtuneServer | undefined;
  let calling = false; // Predict callers run while true
  const id = uniq();
  const topics = { labelsTopic: `test.loss.labels.${id}`, dlqTopic: `test.loss.dlq.${id}`, modelsTopic: `test.loss.models.${id}` };
  const kafkaSh = async (...args: string[]): Promise<string> => (await run('bash', [script, ...args], { env, timeout: 200_000 })).stdout;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-loss-'));
    // A port taken by someone else (or by a client socket) fails `up` at once: try other ports.
    let lastError: unknown;
    for (let attempt = 0; attempt < 3 && brokers.length === 0; attempt++) {
      env = clusterEnv(path.join(dir, `cluster-${attempt}`), 31_000 + 6 * Math.floor(Math.random() * 283));
      try {
        brokers = /^KAFKA_BROKERS=(\S+)$/m.exec(await kafkaSh('up', '--brokers', '3'))![1]!.split(',');
      } catch (err) {
        lastError = err;
        await kafkaSh('down', '--clean', '--kill').catch(() => undefined);
      }
    }
    if (brokers.length === 0) throw new Error(`could not start the test's 3-broker cluster: ${(lastError as Error).message}`);
  }, 400_000);

  afterAll(async () => {
    calling = false;
    await app?.close();
    if (env) await kafkaSh('down', '--clean', '--kill'); // its data is thrown away: no clean shutdown needed
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('loses no event, learns none twice, and fails no Predict call', async () => {
    expect(brokers).toHaveLength(3);
    const backend = await useTestBackend();
    const clientLog: string[] = []; // connection errors while the broker is down are expected
    const kafka = createKafka(brokers, 'streamtune-broker-loss-test', (l) => clientLog.push(l));

    // Every node has seen all three brokers register (each answers for itself).
    await waitFor(
      'every node to list 3 brokers',
      async () => {
        const seen = await Promise.all(brokers.map((b) => withAdmin(createKafka([b], 'streamtune-broker-loss-probe', () => undefined), (a) => a.describeCluster()).then((c) => c.brokers.length, () => 0)));
        return seen.every((n) => n === 3);
      },
      90_000,
    );
    // The topics, created as the project creates them on a cluster, fully replicated before use.
    await ensureTopics(kafka, [{ topic: topics.labelsTopic }, { topic: topics.dlqTopic }]);
    await ensureModelsTopic(kafka, topics.modelsTopic);
    const used = Object.values(topics);
    await waitFor('every partition of the topics to have a leader and 3 in-sync replicas', () => fullyReplicated(kafka, used, 3), 60_000);
    const described = await withAdmin(kafka, (a) =>
      a.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topics.labelsTopic, configNames: ['min.insync.replicas'] }] }),
    );
    expect(described.resources[0]!.configEntries[0]!.configValue).toBe('2');

    const config = loadConfig({
      overrides: {
        model: 'm',
        registryDir: path.join(dir!, 'registry'),
        backend,
        kafka: { brokers, ...topics, groupId: `loss-${id}`, sessionTimeoutMs: 6000 },
        serving: { port: 0 },
        metrics: { port: 0, consumerLagIntervalMs: 1000 },
        training: { maxBatchSize: 16, maxBatchWaitMs: 50, versionEverySteps: 5, versionEveryMs: 500, guardrail: { enabled: false } },
        // Every version stays: the test walks the whole lineage back to the base.
        registry: { retention: { keepVersions: 0 } },
      },
    });
    const serverLog: string[] = [];
    const server = new StreamtuneServer(config, (l) => serverLog.push(l));
    app = server;
    const base = new DenseClassifier({ featureSpec: { kind: 'features', dim: 2 }, labels: ['a', 'b'], hiddenUnits: [8] });
    await server.store.save('m', base, { parent: null, regime: 'test', backend, examplesSeen: 0, metrics: {}, offsets: {} });
    base.dispose();
    let learned = 0;
    server.on('stats', (s) => (learned += s.learned));
    await server.start();
    // The trainer's group lives in the offsets topic, which its first join creates: replicated too before the stream starts.
    await waitFor(`${OFFSETS_TOPIC} to have a leader and 3 in-sync replicas`, () => fullyReplicated(kafka, [OFFSETS_TOPIC], 3), 90_000);

    // Clients call Predict for the whole test.
    const client = new PredictorClient(server.grpc!.address);
    const calls = { ok: 0, failed: 0, errors: [] as string[] };
    calling = true;
    const callers = [0, 1].map(async () => {
      while (calling) {
        try {
          await client.predict([{ features: [0.3, -0.2] }], { deadlineMs: 5000 });
          calls.ok++;
        } catch (err) {
          calls.failed++;
          calls.errors.push((err as Error).message);
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    });

    const producer = new EventProducer(kafka, topics.labelsTopic);
    const N = 900;
    const sendPaced = async (from: number, to: number): Promise<void> => {
      for (let i = from; i < to; i += 25) {
        await producer.send(events(25, i));
        await new Promise((r) => setTimeout(r, 40));
      }
    };
    await sendPaced(0, 300);
    await waitFor('the trainer to learn from the cluster', () => learned >= 100, 90_000);

    // Kill the broker that leads the labels partition: producers and the trainer
    // must move to the new leader (elected from the in-sync followers).
    const [before] = await partitions(kafka, [topics.labelsTopic]);
    const victim = before!.leader;
    const callsBefore = calls.ok;
    await kafkaSh('stop-node', String(victim), '--kill');
    await sendPaced(300, 600); // acks=all needs 2 in-sync replicas: the two survivors
    // (The survivors may learn of the new leader a moment apart.)
    await waitFor(
      'a new leader, and the killed broker out of the ISR',
      async () => {
        const [during] = await partitions(kafka, [topics.labelsTopic]);
        return !!during && during.leader !== victim && during.leader >= 0 && !during.isr.includes(victim);
      },
      30_000,
    );

    // Start the killed node again while the stream goes on; it catches up and rejoins the ISR.
    const restarted = kafkaSh('start-node', String(victim));
    await sendPaced(600, N);
    await producer.close();
    await restarted;
    const callsDuringOutage = calls.ok - callsBefore;
    await waitFor('the restarted broker back in sync on every topic in use', () => fullyReplicated(kafka, [...used, OFFSETS_TOPIC], 3), 90_000);
    // After the failover the trainer may wait out a checkpoint's retry backoff (up to 30 s) or a restart by its supervisor.
    await waitFor(`a served version that learned all ${N} events`, () => (server.holder.meta?.examplesSeen ?? 0) >= N, 180_000).catch((err: Error) =>
      Promise.reject(new Error(`${err.message} (serving ${server.holder.version}, ${server.holder.meta?.examplesSeen} events)\nserver log:\n${serverLog.slice(-40).join('\n')}`, { cause: err })),
    );
    calling = false;
    await Promise.all(callers);
    client.close();

    // Idempotent producer: retries across the leader change wrote each event once.
    const [end] = await withAdmin(kafka, (a) => a.fetchTopicOffsets(topics.labelsTopic));
    expect(end!.high).toBe(String(N));
    // Every event learned once along the version history, and once by the trainer that rode through.
    expectExactlyOnce(await lineage(server.store, 'm'), `${topics.labelsTopic}/0`, N);
    expect(server.holder.meta!.examplesSeen).toBe(N);
    // On a loaded machine the trainer has been seen to exit once during the failover; its
    // supervisor restarts it from the last checkpoint and exactly-once holds across the
    // restart (asserted above), though the dead process's uncheckpointed steps were counted
    // in its stats. More than one restart would mean the failover keeps failing.
    const restarts = serverLog.filter((l) => /trainer exited/.test(l)).length;
    expect(restarts).toBeLessThanOrEqual(1);
    if (restarts === 0) expect(learned).toBe(N);
    expect(calls.failed, calls.errors.slice(0, 3).join('; ')).toBe(0);
    expect(callsDuringOutage).toBeGreaterThan(20);
  }, 900_000);
});
