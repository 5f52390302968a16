import { describe, expect, inject, it } from 'vitest';
import { BrokerError } from '../../src/core/index.js';
import { checkBrokers } from '../../src/ingest/index.js';

const live = inject('kafkaBrokers').split(',')[0]!;

describe('checkBrokers against a real broker', () => {
  it('passes when any listed broker answers, whichever is listed first (a cluster with its first node down)', async () => {
    await expect(checkBrokers(['127.0.0.1:1', live])).resolves.toBeUndefined();
    await expect(checkBrokers([live, '127.0.0.1:1'])).resolves.toBeUndefined();
  });

  it('fails naming every broker and the cause when none answers', async () => {
    const err = await checkBrokers(['127.0.0.1:1', '127.0.0.1:2']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokerError);
    expect((err as Error).message).toMatch(/^Kafka brokers 127\.0\.0\.1:1,127\.0\.0\.1:2 /);
    expect((err as BrokerError).context).toMatchObject({ brokers: '127.0.0.1:1,127.0.0.1:2', reason: 'connection refused' });
  });
});
