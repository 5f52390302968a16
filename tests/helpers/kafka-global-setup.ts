/**
 * Provides a real Kafka broker to the suite, in this order:
 * 1. `KAFKA_BROKERS` when set (any broker you run);
 * 2. Testcontainers, when a Docker engine answers (or podman's Docker API, see
 *    README "Containers"): the apache/kafka image, or STREAMTUNE_KAFKA_IMAGE;
 * 3. the project's own broker from Maven jars (`scripts/kafka.sh up`), on its own
 *    ports and data directory, stopped and wiped afterwards.
 * No broker is a failure with a clear message, never a skip.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
  }
}

const script = path.resolve(import.meta.dirname, '..', '..', 'scripts', 'kafka.sh');

async function dockerAvailable(): Promise<boolean> {
  if (process.env.STREAMTUNE_TEST_NO_DOCKER === '1') return false;
  if (!process.env.DOCKER_HOST && !fs.existsSync('/var/run/docker.sock')) return false;
  const { getContainerRuntimeClient } = await import('testcontainers');
  return getContainerRuntimeClient().then(
    () => true,
    () => false,
  );
}

/** The Kafka image Testcontainers runs: Docker Hub's apache/kafka (here, the stand-in scripts/containers/build-bases.sh builds). */
export const KAFKA_IMAGE = process.env.STREAMTUNE_KAFKA_IMAGE ?? 'apache/kafka:3.9.2';

/**
 * Starts a single-node KRaft broker from an apache/kafka image with Testcontainers.
 * The broker must advertise the host port Testcontainers maps, known only once the
 * container runs: the container waits for that address in a file, then starts the
 * image's own entrypoint (its KAFKA_* environment configuration).
 */
export async function startKafkaContainer(image = KAFKA_IMAGE): Promise<{ brokers: string; stop(): Promise<void> }> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer(image)
    .withExposedPorts(9092)
    // Lets the run that started it remove it should the process die before stop() (scripts/containers/testcontainers-test.sh).
    .withLabels({ 'org.streamtune.test-run': process.env.STREAMTUNE_TEST_RUN ?? 'manual' })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
    })
    .withEntrypoint(['sh', '-c'])
    .withCommand(['echo "waiting for the advertised listener"; while [ ! -s /tmp/advertised ]; do sleep 0.1; done; KAFKA_ADVERTISED_LISTENERS=$(cat /tmp/advertised) exec /etc/kafka/docker/run'])
    .withWaitStrategy(Wait.forLogMessage('waiting for the advertised listener'))
    .start();
  try {
    // Podman publishes on IPv4; "localhost" may resolve to ::1 first.
    const host = container.getHost() === 'localhost' ? '127.0.0.1' : container.getHost();
    const brokers = `${host}:${container.getMappedPort(9092)}`;
    let tail = '';
    let timer: NodeJS.Timeout | undefined;
    const started = new Promise<void>((resolve, reject) => {
      // The log stream's socket does not hold the event loop open; this timer does (in
      // vitest's main process, an empty loop would end the run at once, with exit code 0).
      timer = setTimeout(() => reject(new Error(`the broker in ${image} did not start within 120 s:\n${tail}`)), 120_000);
      void container.logs().then((stream) => {
        stream.on('data', (chunk: Buffer | string) => {
          tail = (tail + chunk.toString()).slice(-4000);
          if (tail.includes('Kafka Server started')) resolve();
        });
        stream.on('end', () => reject(new Error(`the Kafka container stopped before its broker started:\n${tail}`)));
      }, reject);
    });
    started.catch(() => undefined); // awaited below; a copy failure must not leave it unhandled
    try {
      await container.copyContentToContainer([{ content: `PLAINTEXT://${brokers}`, target: '/tmp/advertised' }]);
      await started;
    } finally {
      clearTimeout(timer);
    }
    return { brokers, stop: async () => void (await container.stop()) };
  } catch (err) {
    await container.stop().catch(() => undefined);
    throw err;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.KAFKA_BROKERS) {
    project.provide('kafkaBrokers', process.env.KAFKA_BROKERS);
    return async () => undefined;
  }
  if (await dockerAvailable()) {
    const kafka = await startKafkaContainer();
    project.provide('kafkaBrokers', kafka.brokers);
    return kafka.stop;
  }
  const env = {
    ...process.env,
    KAFKA_RUN_DIR: process.env.STREAMTUNE_TEST_KAFKA_RUN_DIR ?? path.join(os.tmpdir(), `streamtune-test-kafka-${process.pid}`),
    KAFKA_PORT: process.env.STREAMTUNE_TEST_KAFKA_PORT ?? '29092',
    KAFKA_CONTROLLER_PORT: process.env.STREAMTUNE_TEST_KAFKA_CONTROLLER_PORT ?? '29093',
  };
  const up = spawnSync('bash', [script, 'up'], { env, encoding: 'utf8', timeout: 600_000 });
  const m = /^KAFKA_BROKERS=(\S+)$/m.exec(up.stdout ?? '');
  if (up.status !== 0 || !m) {
    throw new Error(
      'The tests need a real Kafka broker and none could be had: KAFKA_BROKERS is not set, no Docker engine answers, ' +
        `and \`bash scripts/kafka.sh up\` failed (exit ${up.status}).\n${(up.stderr ?? '').split('\n').slice(-20).join('\n')}`,
    );
  }
  project.provide('kafkaBrokers', m[1]!);
  return async () => {
    spawnSync('bash', [script, 'down', '--clean'], { env, encoding: 'utf8', timeout: 60_000 });
  };
}
