import { Kafka, logLevel } from 'kafkajs';
import { BrokerError } from '../core/index.js';

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

/** The cause of a failed connection in a few words. */
function causeOf(err: unknown): string {
  const text = [err, (err as { cause?: unknown })?.cause, (err as { originalError?: unknown })?.originalError]
    .map((e) => (e as Error | undefined)?.message ?? '')
    .join(' ');
  if (/ECONNREFUSED/.test(text)) return 'connection refused';
  if (/ENOTFOUND|EAI_AGAIN/.test(text)) return 'unknown host';
  if (/timeout|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH/i.test(text)) return 'no answer in time';
  return (err as Error)?.message ?? String(err);
}

/**
 * Asks the brokers for the cluster's metadata, within `timeoutMs`, and throws a
 * {@link BrokerError} naming them when none answers: its `context` holds the
 * `brokers` and the `reason` in a few words (`connection refused`, `unknown host`,
 * `no answer in time`). Clients otherwise retry for about a minute, logging every
 * attempt; a command line tool calls this first and fails fast, and the trainer
 * supervisor calls it before each start, so an outage costs a cheap check.
 *
 * @example
 * await checkBrokers(['127.0.0.1:9092'], { retries: 1 }); // BrokerError: Kafka broker 127.0.0.1:9092 unreachable: Connection error: …
 */
export async function checkBrokers(brokers: string[], opts: CheckBrokersOptions = {}): Promise<void> {
  const { timeoutMs = 5000, retries = 0 } = opts;
  const kafka = new Kafka({
    clientId: 'streamtune-broker-check',
    brokers,
    logLevel: logLevel.NOTHING,
    // Short enough that a retry fits in the deadline: a live broker accepts a connection in milliseconds.
    connectionTimeout: Math.min(2000, timeoutMs),
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
    const which = brokers.length === 1 ? `broker ${brokers[0]}` : `brokers ${brokers.join(',')}`;
    throw new BrokerError(`Kafka ${which} unreachable: ${(err as Error).message}`, { brokers: brokers.join(','), reason: causeOf(err) }, err);
  } finally {
    clearTimeout(timer);
    await admin.disconnect().catch(() => undefined);
  }
}
