import * as fs from 'node:fs';
import * as tls from 'node:tls';
import type { SASLOptions } from 'kafkajs';
import { ConfigError, type KafkaConfig } from '../core/index.js';

/** Where and how to reach the brokers: the `kafka` section of the config, or any object with its three keys. */
export type KafkaConnection = Pick<KafkaConfig, 'brokers' | 'ssl' | 'sasl'>;

/** A bare broker list stands for plaintext without a login (tests, benchmarks, the local broker). */
export const asConnection = (c: KafkaConnection | string[]): KafkaConnection => (Array.isArray(c) ? { brokers: c } : c);

const REASONS: Record<string, string> = { ENOENT: 'no such file or directory', EACCES: 'permission denied', EISDIR: 'is a directory, not a file' };

/** Reads a file a key of `kafka.ssl`/`kafka.sasl` names; the error names the key, never the content. */
function readFor(key: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    throw new ConfigError(key, `cannot read ${file}: ${REASONS[code] ?? code}`);
  }
}

/** Checks that a certificate and key parse and match (a wrong file fails at start, naming its key, not at the first connection). */
function checkPem(key: string, file: string, options: tls.SecureContextOptions): void {
  try {
    tls.createSecureContext(options);
  } catch (err) {
    throw new ConfigError(key, `${file} is not usable: ${(err as Error).message}`);
  }
}

/**
 * The TLS and SASL options of kafkajs for `connection`, files read now: every
 * client streamtune opens gets them from here. A file that cannot be read or
 * parsed throws a {@link ConfigError} naming its key (`kafka.ssl.caFile`, …).
 * The result holds the password: pass it to kafkajs, never to a log or a child
 * process's environment.
 *
 * @example
 * new Kafka({ brokers: config.kafka.brokers, ...kafkaSecurity(config.kafka) });
 */
export function kafkaSecurity(connection: KafkaConnection): { ssl?: tls.ConnectionOptions; sasl?: SASLOptions } {
  const out: { ssl?: tls.ConnectionOptions; sasl?: SASLOptions } = {};
  const { ssl, sasl } = connection;
  if (ssl?.enabled) {
    const options: tls.ConnectionOptions = { rejectUnauthorized: ssl.rejectUnauthorized };
    if (ssl.caFile) {
      options.ca = readFor('kafka.ssl.caFile', ssl.caFile);
      // Node skips what is not a certificate silently: the connection would fail later as "not trusted".
      if (!options.ca.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError('kafka.ssl.caFile', `${ssl.caFile} holds no PEM certificate`);
    }
    if (ssl.certFile && ssl.keyFile) {
      options.cert = readFor('kafka.ssl.certFile', ssl.certFile);
      options.key = readFor('kafka.ssl.keyFile', ssl.keyFile);
      checkPem('kafka.ssl.keyFile', `${ssl.certFile} with ${ssl.keyFile}`, { cert: options.cert, key: options.key });
    }
    out.ssl = options;
  }
  if (sasl) {
    let password = sasl.password;
    if (sasl.passwordFile !== undefined) {
      // Secret files conventionally end in a newline that is not part of the password.
      password = readFor('kafka.sasl.passwordFile', sasl.passwordFile).toString('utf8').replace(/\r?\n$/, '');
      if (password === '') throw new ConfigError('kafka.sasl.passwordFile', `${sasl.passwordFile} is empty`);
    }
    out.sasl = { mechanism: sasl.mechanism, username: sasl.username, password: password! };
  }
  return out;
}
