import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrokerError, ConfigError } from '../core/index.js';
import { checkBrokers, type KafkaConnection } from '../ingest/index.js';

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
 * The connection a command uses: the configured brokers (with `kafka.ssl` and
 * `kafka.sasl`), checked to answer within a few seconds (else an error naming
 * them and what to do: start a broker, or fix the TLS or SASL setting that
 * failed), or with none configured, the local broker (started if needed; it is
 * plaintext, so TLS or SASL settings without brokers are refused).
 *
 * @example
 * const kafka = createKafka(await usableBrokers(config.kafka), 'streamtune-producer');
 */
export async function usableBrokers(connection: KafkaConnection): Promise<KafkaConnection> {
  const configured = connection.brokers;
  if (configured.length === 0) {
    if (connection.sasl || connection.ssl?.enabled) throw new ConfigError('kafka.brokers', `kafka.${connection.sasl ? 'sasl' : 'ssl'} is set but no brokers are: give them with --brokers HOST:PORT or KAFKA_BROKERS (the local broker is plaintext)`);
    return { brokers: await ensureLocalBroker() };
  }
  try {
    await checkBrokers(connection, { retries: 1 });
  } catch (err) {
    // A broker that answered and refused (BrokerAuthError), or hung up, was named by the check already.
    if (!(err instanceof BrokerError) || err.context.reason === 'connection closed') throw err;
    throw new BrokerError(`no Kafka broker answers at ${configured.join(',')} (${err.context.reason}): start a broker there (\`npm run kafka:up\` runs one on 127.0.0.1:19092), or give the right ones with --brokers HOST:PORT or KAFKA_BROKERS`, err.context, err);
  }
  return connection;
}
