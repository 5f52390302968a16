import { describe, expect, it } from 'vitest';
import { BrokerError, FencedError } from '../../src/core/index.js';
import { CommitFloor } from '../../src/training/commit-floor.js';
import { FleetCommits } from '../../src/training/fleet-commits.js';
import { GroupAssignment } from '../../src/training/group-assignment.js';

/** A kafkajs protocol error as the group coordinator's answer arrives (its `type` names the Kafka error). */
const kafkaError = (type: string): Error => Object.assign(new Error(`The coordinator answered ${type}`), { type });

/** A member reading labels/0, with record 4 passed, whose commits answer with `answer` (nothing: taken). */
function member(answer?: Error): { commits: FleetCommits; group: GroupAssignment } {
  const floor = new CommitFloor();
  const group = new GroupAssignment();
  group.assign('labels', [0]);
  floor.passed('labels/0', '4');
  const commits = new FleetCommits({ commit: async () => (answer ? Promise.reject(answer) : undefined), now: () => 0 }, floor, group);
  return { commits, group };
}

describe('FleetCommits.probe: the fence before a checkpoint is installed (registry.mode dir)', () => {
  it('passes while the group coordinator takes the commit', async () => {
    await expect(member().commits.probe()).resolves.toBeUndefined();
  });

  it('fences a member the coordinator no longer counts (dropped after its session timed out, or of an older generation)', async () => {
    for (const type of ['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'FENCED_INSTANCE_ID']) {
      await expect(member(kafkaError(type)).commits.probe()).rejects.toBeInstanceOf(FencedError);
    }
  });

  it('during a rebalance the checkpoint is not taken (retriable), never a fence: a survivor of a member joining or leaving goes on', async () => {
    const { commits, group } = member();
    group.revoke();
    const during = await commits.probe().catch((e: unknown) => e);
    expect(during).toBeInstanceOf(BrokerError);
    expect(during).not.toBeInstanceOf(FencedError);
    expect((during as BrokerError).retriable).toBe(true);
    // The coordinator's own word for it, when the member has not heard of the rebalance yet.
    const answered = await member(kafkaError('REBALANCE_IN_PROGRESS')).commits.probe().catch((e: unknown) => e);
    expect(answered).toBeInstanceOf(BrokerError);
    expect(answered).not.toBeInstanceOf(FencedError);
    // Once the new assignment is known, the probe commits again.
    group.assign('labels', [0]);
    await expect(commits.probe()).resolves.toBeUndefined();
  });
});
