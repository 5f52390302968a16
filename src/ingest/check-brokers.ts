import { Kafka, logLevel } from 'kafkajs';
import { BrokerError } from '../core/index.js';

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
 * Asks the brokers for the cluster's metadata once, with a short bounded retry
 * (about 5 s at most), and throws a {@link BrokerError} naming the brokers and the
 * cause when none answers. Clients otherwise retry for about a minute, logging
 * every attempt; a command line tool calls this first and fails fast.
 *
 * @example
 * await checkBrokers(['127.0.0.1:9092']); // BrokerError: no Kafka broker answers at 127.0.0.1:9092 (connection refused)
 */
export async function checkBrokers(brokers: string[], opts: { timeoutMs?: number } = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const kafka = new Kafka({
    clientId: 'streamtune-broker-check',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: Math.min(2000, timeoutMs),
    requestTimeout: timeoutMs,
    retry: { retries: 1, initialRetryTime: 300, maxRetryTime: 1000 },
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
    throw new BrokerError(`no Kafka broker answers at ${brokers.join(',')} (${causeOf(err)})`, { brokers: brokers.join(',') }, err);
  } finally {
    clearTimeout(timer);
    await admin.disconnect().catch(() => undefined);
  }
}
