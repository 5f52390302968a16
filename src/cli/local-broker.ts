import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrokerError } from '../core/index.js';
import { checkBrokers } from '../ingest/index.js';

/** scripts/kafka.sh of this checkout or package (from src/cli or dist/cli). */
export const KAFKA_SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'kafka.sh');

/**
 * Starts (or reuses) the local single-node broker with `scripts/kafka.sh up` and
 * returns its bootstrap address. The script fetches Kafka's jars with Maven on
 * first use, so this can take a minute once.
 */
export function ensureLocalBroker(env: NodeJS.ProcessEnv = process.env, log: (l: string) => void = () => undefined): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [KAFKA_SCRIPT, 'up'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      for (const line of d.toString().split('\n')) if (line.trim()) log(line);
    });
    child.on('error', (e) => reject(new BrokerError(`cannot run ${KAFKA_SCRIPT}: ${e.message}`)));
    child.on('close', (code) => {
      const m = /^KAFKA_BROKERS=(\S+)$/m.exec(out);
      if (code === 0 && m) resolve(m[1]!.split(','));
      else reject(new BrokerError(`local Kafka broker did not start (exit ${code}): ${err.trim().split('\n').slice(-5).join(' | ')}`));
    });
  });
}

/** Stops the local broker started by {@link ensureLocalBroker}; `clean` also deletes its data. */
export function stopLocalBroker(env: NodeJS.ProcessEnv = process.env, clean = false): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn('bash', [KAFKA_SCRIPT, 'down', ...(clean ? ['--clean'] : [])], { env, stdio: 'ignore' });
    child.on('close', () => resolve());
    child.on('error', () => resolve());
  });
}

/**
 * The brokers a command talks to: the configured ones, checked to answer within a
 * few seconds (else a BrokerError naming them and what to do), or with none
 * configured, the local broker (started if needed).
 *
 * @example
 * const brokers = await usableBrokers(config.kafka.brokers);
 */
export async function usableBrokers(configured: string[]): Promise<string[]> {
  if (configured.length === 0) return ensureLocalBroker();
  try {
    await checkBrokers(configured, { retries: 1 });
  } catch (err) {
    if (!(err instanceof BrokerError)) throw err;
    throw new BrokerError(`no Kafka broker answers at ${configured.join(',')} (${err.context.reason}): start a broker there (\`npm run kafka:up\` runs one on 127.0.0.1:19092), or give the right ones with --brokers HOST:PORT or KAFKA_BROKERS`, err.context, err);
  }
  return configured;
}
