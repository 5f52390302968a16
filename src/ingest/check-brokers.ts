import { Kafka, logLevel } from 'kafkajs';
import { BrokerAuthError, BrokerError } from '../core/index.js';
import { brokerFailure } from './broker-failure.js';
import { asConnection, kafkaSecurity, type KafkaConnection } from './kafka-security.js';

/** How long {@link checkBrokers} waits, and how often it tries again. */
export interface CheckBrokersOptions {
  /** Longest the whole check may take, retries included. @defaultValue 5000 */
  timeoutMs?: number;
  /**
   * How often a failed connection or request is tried again (after 300 ms, then
   * at most 1 s apart) before the check fails: a command line tool wants one
   * retry; a caller that backs off on its own schedule wants none. @defaultValue 0
   */
  retries?: number;
}

/**
 * Asks the brokers for the cluster's metadata, within `timeoutMs`, with the TLS
 * and SASL settings of `connection` (the `kafka` config section, or a bare broker
 * list for plaintext), and throws an error naming them when none answers:
 * a {@link BrokerAuthError} when a broker answered but TLS or the SASL login
 * failed (not retriable), else a {@link BrokerError}. Its `context` holds the
 * `brokers` and the `reason` in a few words (`connection refused`, `unknown host`,
 * `no answer in time`, `login refused`, `certificate not trusted`, …). Clients
 * otherwise retry for about a minute, logging every
 * attempt; a command line tool calls this first and fails fast, and the trainer
 * supervisor calls it before each start, so an outage costs a cheap check.
 *
 * @example
 * await checkBrokers(config.kafka, { retries: 1 }); // BrokerAuthError: Kafka broker 127.0.0.1:9093 refused the SASL SCRAM-SHA-512 login of "alice": …
 */
export async function checkBrokers(connection: KafkaConnection | string[], opts: CheckBrokersOptions = {}): Promise<void> {
  const c = asConnection(connection);
  if (c.brokers.length <= 1) return checkOne(c, opts);
  // Each broker on its own, at once: one that answers is enough (a client would bootstrap from it), whichever
  // is listed first. When none does, the first broker's failure is the one reported, a security failure first.
  const results = await Promise.allSettled(c.brokers.map((b) => checkOne({ ...c, brokers: [b] }, opts)));
  if (results.some((r) => r.status === 'fulfilled')) return;
  const errors = results.map((r) => (r as PromiseRejectedResult).reason as Error);
  const security = errors.find((e) => e instanceof BrokerAuthError);
  if (security) throw security;
  const first = errors[0] as BrokerError;
  throw new BrokerError(`Kafka brokers ${c.brokers.join(',')} ${first.message.replace(/^Kafka broker \S+ /, '')}`, { ...first.context, brokers: c.brokers.join(',') }, first.cause);
}

async function checkOne(c: ReturnType<typeof asConnection>, opts: CheckBrokersOptions): Promise<void> {
  const { timeoutMs = 5000, retries = 0 } = opts;
  const { brokers } = c;
  const kafka = new Kafka({
    clientId: 'streamtune-broker-check',
    brokers,
    ...kafkaSecurity(c),
    logLevel: logLevel.NOTHING,
    // Short enough that a retry fits in the deadline: a live broker accepts a connection in milliseconds.
    connectionTimeout: Math.min(2000, timeoutMs),
    // A SASL exchange is a few round trips: the same bound as a request.
    authenticationTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: { retries, initialRetryTime: 300, maxRetryTime: 1000 },
  });
  const admin = kafka.admin();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timeout after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([
      (async () => {
        await admin.connect();
        await admin.describeCluster();
      })(),
      timeout,
    ]);
  } catch (err) {
    const failure = brokerFailure(err, c);
    // A security failure names the broker that refused (a login error does not say, so the list does).
    const which = failure.security && failure.broker ? `broker ${failure.broker}` : brokers.length === 1 ? `broker ${brokers[0]}` : `brokers ${brokers.join(',')}`;
    const context = { brokers: brokers.join(','), reason: failure.reason };
    const message = `Kafka ${which} ${failure.detail}`;
    throw failure.security ? new BrokerAuthError(message, context, err) : new BrokerError(message, context, err);
  } finally {
    clearTimeout(timer);
    await admin.disconnect().catch(() => undefined);
  }
}
