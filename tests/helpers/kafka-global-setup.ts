/**
 * Provides a real Kafka broker to the suite, in this order:
 * 1. `KAFKA_BROKERS` when set (any broker you run);
 * 2. Testcontainers, when a Docker engine answers;
 * 3. the project's own broker from Maven jars (`scripts/kafka.sh up`), on its own
 *    ports and data directory, stopped and wiped afterwards.
 * No broker is a failure with a clear message, never a skip.
 */
import { spawnSync } from 'node:child_process';
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
  const r = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 5000, encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim().length > 0;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.KAFKA_BROKERS) {
    project.provide('kafkaBrokers', process.env.KAFKA_BROKERS);
    return async () => undefined;
  }
  if (await dockerAvailable()) {
    const { KafkaContainer } = await import('@testcontainers/kafka');
    const container = await new KafkaContainer('confluentinc/cp-kafka:7.6.1').withKraft().start();
    project.provide('kafkaBrokers', `${container.getHost()}:${container.getMappedPort(9093)}`);
    return async () => void (await container.stop());
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
