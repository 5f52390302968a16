import type { Kafka } from 'kafkajs';

export interface FeedbackStandbyOptions {
  /** How often the group is looked at. */
  intervalMs: number;
  /** Stops waiting (the process is shutting down). */
  stopped: () => boolean;
}

/**
 * Waits until the joiners' consumer group (`feedback.groupId`) has no member: how a
 * joiner that another one fenced stands by instead of fencing it back at once. A
 * joiner paused past its session timeout (a long GC, SIGSTOP, a VM frozen) comes back
 * fenced by the one that took over; started again right away, it would fence that
 * one in turn, and the two would take turns for as long as both live. Standing by,
 * it takes over only once the active joiner is gone (its session timed out, or it
 * left the group), and its memory is rebuilt from Kafka then. A broker that cannot be
 * asked is asked again.
 *
 * @example
 * joiner.once('failed', async (err) => {
 *   if (isFenced(err)) await untilNoJoiner(kafka, config.feedback.groupId, { intervalMs: 2000, stopped: () => stopping });
 * });
 */
export async function untilNoJoiner(kafka: Kafka, groupId: string, o: FeedbackStandbyOptions): Promise<void> {
  const admin = kafka.admin();
  try {
    while (!o.stopped()) {
      try {
        await admin.connect();
        const { groups } = await admin.describeGroups([groupId]);
        if ((groups[0]?.members.length ?? 0) === 0) return;
      } catch {
        // The broker could not tell: ask again.
      }
      await new Promise((r) => setTimeout(r, o.intervalMs));
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
