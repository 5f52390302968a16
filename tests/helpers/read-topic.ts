import type { Kafka, KafkaMessage } from 'kafkajs';
import { uniq, waitFor } from './wait-for.js';

/** Reads a topic from its beginning until `count` messages arrived (fails after 60 s). */
export async function readTopic(kafka: Kafka, topic: string, count: number): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: `reader-${uniq()}` });
  const got: KafkaMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void got.push(message) });
  try {
    await waitFor(`${count} messages on ${topic}`, () => got.length >= count, 60_000);
  } finally {
    await consumer.disconnect();
  }
  return got;
}
