/**
 * The registry's transactional fence against a real broker, when the broker ends
 * a transaction of a trainer that is still the owner (as a transaction
 * coordinator failing over with a broker does): another producer with the same
 * transactional id stands in for that here. The group coordinator's word (`owns`)
 * tells a still-owner, which retries with a new producer, from a fenced trainer.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { BrokerError, FencedError } from '../../src/core/index.js';
import { createKafka, ensureTopics } from '../../src/ingest/index.js';
import { RegistryTransactions } from '../../src/registry/index.js';
import { uniq } from '../helpers/wait-for.js';

const kafka = createKafka(inject('kafkaBrokers').split(','), 'streamtune-registry-transactions-test', () => undefined);

describe('RegistryTransactions when the broker ends a transaction', () => {
  const id = uniq();
  const labelsTopic = `test.rtx.labels.${id}`;
  const groupId = `rtx-${id}`;
  const tx = new RegistryTransactions({ kafka, registryTopic: `test.rtx.registry.${id}`, labelsTopic, groupId });
  afterAll(() => tx.close());

  const committed = async (): Promise<string | undefined> => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [t] = await admin.fetchOffsets({ groupId, topics: [labelsTopic] });
      return t?.partitions.find((p) => p.partition === 0)?.offset;
    } finally {
      await admin.disconnect();
    }
  };
  /** Another producer takes the transactional id over: the broker refuses the trainer's producer from now on. */
  const takeOver = async (): Promise<void> => {
    const other = kafka.producer({ transactionalId: tx.transactionalId(0), idempotent: true, maxInFlightRequests: 1 });
    await other.connect();
    await (await other.transaction()).abort();
    await other.disconnect();
  };

  it('retries with a new producer while the group says this trainer owns the partition, and is fenced once it does not', async () => {
    await ensureTopics(kafka, [{ topic: labelsTopic }]);
    let owner = true;
    let asked = 0;
    const owns = async (): Promise<boolean> => {
      asked++;
      return owner;
    };
    await tx.own([0]);
    await tx.commit(0, [], '5', owns);
    expect(await committed()).toBe('5');
    expect(asked).toBe(0);

    // The transaction is refused as a fence would be; the group still gives the partition to this trainer: retriable, nothing committed.
    await takeOver();
    const refused = await tx.commit(0, [], '7', owns).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BrokerError);
    expect((refused as BrokerError).retriable).toBe(true);
    expect(await committed()).toBe('5');
    // The next try asks the group again, before and after its new producer fences the other one, and goes through.
    asked = 0;
    await tx.commit(0, [], '7', owns);
    expect(asked).toBe(2);
    expect(await committed()).toBe('7');

    // The partition is another trainer's now (the group says so): fenced, and it stays fenced.
    await takeOver();
    owner = false;
    await expect(tx.commit(0, [], '9', owns)).rejects.toBeInstanceOf(FencedError);
    await expect(tx.commit(0, [], '9', owns)).rejects.toBeInstanceOf(FencedError);
    expect(await committed()).toBe('7');
  }, 120_000);
});
