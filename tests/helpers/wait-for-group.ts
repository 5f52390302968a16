import type { Kafka } from 'kafkajs';
import { waitFor } from './wait-for.js';

/**
 * Waits until consumer group `groupId` is Stable with `members` members. Trainers
 * started side by side join their group a while after they report ready: a member
 * that joins once events flow moves partitions then (and fences the checkpoint of
 * the owner it replaces), so a test that needs a fixed owner waits for this first.
 */
export async function waitForGroup(kafka: Kafka, groupId: string, members: number, timeoutMs = 120_000): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await waitFor(
      `group ${groupId} stable with ${members} members`,
      async () => {
        const [group] = (await admin.describeGroups([groupId])).groups;
        return group?.state === 'Stable' && group.members.length === members;
      },
      timeoutMs,
    );
  } finally {
    await admin.disconnect();
  }
}
