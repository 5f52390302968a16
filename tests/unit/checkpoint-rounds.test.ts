import { describe, expect, it } from 'vitest';
import { FencedError } from '../../src/core/index.js';
import { CheckpointRounds } from '../../src/training/checkpoint-rounds.js';
import { CommitFloor } from '../../src/training/commit-floor.js';
import { FleetCommits } from '../../src/training/fleet-commits.js';
import type { Member } from '../../src/training/fleet-member.js';
import { GroupAssignment } from '../../src/training/group-assignment.js';

/** A promise resolved or rejected from outside. */
function deferred<T = void>(): { promise: Promise<T>; resolve(v: T): void; reject(e: unknown): void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ([resolve, reject] = [res, rej]));
  return { promise, resolve, reject };
}

/** A fake member: only what a round reads of its trainer. */
const member = (checkpointDue: boolean, mayJoinCheckpoint: boolean): Member => ({ trainer: { checkpointDue, mayJoinCheckpoint } }) as unknown as Member;

/**
 * A fleet's commits, floor and round over an in-memory group: `sent` holds every
 * group commit (the probe is one too: it commits the floor again); `broker`
 * decides what each one does.
 */
function rig(broker: (offsets: Record<string, string>, n: number) => Promise<void> = async () => undefined) {
  const sent: Record<string, string>[] = [];
  const floor = new CommitFloor();
  const group = new GroupAssignment();
  group.assign('t', [0]);
  const commits = new FleetCommits({ commit: (offsets) => (sent.push(offsets), broker(offsets, sent.length)), now: () => 0 }, floor, group);
  const rounds = new CheckpointRounds(commits);
  /** `model` took the record at `offset` of t/0 and has not saved it. */
  const take = (model: string, offset: number): void => {
    floor.taken(model, 't/0', String(offset));
    floor.passed('t/0', String(offset));
  };
  const installed: string[] = [];
  /**
   * A save as the fleet makes one (see Checkpointer.saveNow): writes, waits for
   * the fence, installs, then (in a round) the model is clean and the round's
   * one commit passes its records.
   */
  const save =
    (writes: Record<string, Promise<void>> = {}) =>
    async (model: string): Promise<boolean> => {
      await writes[model];
      await rounds.fence();
      installed.push(model);
      if (rounds.active) floor.clean(model);
      else await floor.cleanFor(model, () => commits.commit());
      return true;
    };
  return { sent, floor, rounds, take, installed, save };
}

describe('CheckpointRounds', () => {
  it('does nothing until some model is due; then every model with unsaved learning saves, clean ones do not, and one commit passes them all', async () => {
    const r = rig();
    r.take('a', 0);
    r.take('b', 1);
    r.take('c', 2);
    const members = [
      ['a', member(false, true)],
      ['b', member(false, true)],
      ['clean', member(false, false)],
      ['c', member(true, true)],
    ] as const;
    const saving: string[] = [];
    const save = r.save();
    const track = (model: string): Promise<boolean> => (saving.push(model), save(model));

    await r.rounds.run(members.map(([n, m]) => [n, member(false, m.trainer.mayJoinCheckpoint)] as const), track);
    expect(saving).toEqual([]);
    expect(r.sent).toEqual([]);

    await r.rounds.run(members, track);
    await r.rounds.settled();
    expect([...saving].sort()).toEqual(['a', 'b', 'c']);
    expect([...r.installed].sort()).toEqual(['a', 'b', 'c']);
    // One probe at the round's start (the floor then: below a's record 0), one commit after: past every saved record.
    expect(r.sent).toEqual([{ 't/0': '0' }, { 't/0': '3' }]);
  });

  it('probes the fence as the round begins, once; no save installs before the probe succeeds', async () => {
    const probe = deferred();
    const r = rig((_, n) => (n === 1 ? probe.promise : Promise.resolve()));
    r.take('a', 0);
    r.take('b', 1);
    const [aWrites, bWrites] = [deferred(), deferred()];
    const running = r.rounds.run(
      [
        ['a', member(true, true)],
        ['b', member(false, true)],
      ],
      r.save({ a: aWrites.promise, b: bWrites.promise }),
    );
    // The probe went out with the round, while both saves still write (its round trip overlaps theirs).
    await new Promise((res) => setImmediate(res));
    expect(r.sent).toEqual([{ 't/0': '0' }]);
    aWrites.resolve();
    bWrites.resolve();
    // The writes are done, the probe has not answered: nothing installs.
    await new Promise((res) => setImmediate(res));
    expect(r.installed).toEqual([]);
    expect(r.sent).toHaveLength(1);
    probe.resolve();
    await running;
    expect([...r.installed].sort()).toEqual(['a', 'b']);
  });

  it('a refused fence probe installs no version, commits nothing and is thrown; the floor still holds every unsaved record', async () => {
    const refused = Object.assign(new Error('The coordinator is not aware of this member'), { type: 'UNKNOWN_MEMBER_ID' });
    const r = rig(async () => Promise.reject(refused));
    r.take('a', 4);
    r.take('b', 5);
    const err = await r.rounds
      .run(
        [
          ['a', member(true, true)],
          ['b', member(false, true)],
        ],
        r.save(),
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FencedError);
    expect((err as FencedError).cause).toBe(refused);
    expect(r.installed).toEqual([]);
    // Only the probe reached the group.
    expect(r.sent).toEqual([{ 't/0': '4' }]);
    expect(r.floor.offsets()).toEqual({ 't/0': '4' });
    expect(r.rounds.active).toBe(false);
  });

  it("a failed background commit is thrown by the next round, before any save; then it is gone", async () => {
    let failCommit = true;
    const r = rig(async (_, n) => {
      if (n === 2 && failCommit) throw new FencedError('refused: partitions moved');
    });
    r.take('a', 0);
    await r.rounds.run([['a', member(true, true)]], r.save());
    r.take('a', 1);
    const saving: string[] = [];
    const save = r.save();
    const err = await r.rounds.run([['a', member(true, true)]], (m) => (saving.push(m), save(m))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FencedError);
    expect(saving).toEqual([]);
    failCommit = false;
    await r.rounds.run([['a', member(true, true)]], (m) => (saving.push(m), save(m)));
    expect(saving).toEqual(['a']);
  });

  it("a group's raw refusal of the background commit is logged, and the next round's probe, refused too, throws it as a fence before any install", async () => {
    const refused = Object.assign(new Error('The coordinator is not aware of this member'), { type: 'UNKNOWN_MEMBER_ID' });
    const r = rig(async (_, n) => {
      if (n >= 2) throw refused;
    });
    r.take('a', 0);
    await r.rounds.run([['a', member(true, true)]], r.save());
    // An offsets-only commit that failed is retried with the next one (reading again is safe): not thrown here.
    await r.rounds.settled();
    r.take('a', 1);
    const err = await r.rounds.run([['a', member(true, true)]], r.save()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FencedError);
    expect(r.installed).toEqual(['a']);
    expect(r.sent).toEqual([{ 't/0': '0' }, { 't/0': '1' }, { 't/0': '1' }]);
  });

  it('a failed background commit is thrown on close (settled)', async () => {
    const r = rig(async (_, n) => {
      if (n === 2) throw new FencedError('refused: partitions moved');
    });
    r.take('a', 0);
    await r.rounds.run([['a', member(true, true)]], r.save());
    await expect(r.rounds.settled()).rejects.toBeInstanceOf(FencedError);
    // Thrown once.
    await expect(r.rounds.settled()).resolves.toBeUndefined();
  });

  it('never commits past a save that failed or has not finished (exactly once)', async () => {
    const r = rig();
    r.take('a', 0);
    r.take('b', 1);
    r.take('a', 2);
    r.take('c', 3);
    const bWrites = deferred();
    const base = r.save({ b: bWrites.promise });
    const save = async (model: string): Promise<boolean> => {
      if (model === 'c') throw new Error('disk full');
      return base(model);
    };
    const running = r.rounds
      .run(
        [
          ['a', member(true, true)],
          ['b', member(false, true)],
          ['c', member(false, true)],
        ],
        save,
      )
      .catch((e: unknown) => e);
    // a saved and c failed, b is still writing: nothing but the probe reached the group.
    await new Promise((res) => setImmediate(res));
    expect(r.installed).toEqual(['a']);
    expect(r.sent).toEqual([{ 't/0': '0' }]);
    bWrites.resolve();
    expect(((await running) as Error).message).toBe('disk full');
    await r.rounds.settled();
    expect(r.sent).toEqual([{ 't/0': '0' }]);
    // An offsets-only commit now (the fleet's versionEveryMs commit) stops below c's unsaved record.
    expect(r.floor.offsets()).toEqual({ 't/0': '3' });
    // c saves in the next round: its commit passes every record.
    await r.rounds.run([['c', member(true, true)]], r.save());
    await r.rounds.settled();
    expect(r.sent.at(-1)).toEqual({ 't/0': '4' });
    // Every commit stayed at or below the first record not saved when it was sent.
    expect(r.sent.map((o) => Number(o['t/0']))).toEqual([0, 3, 4]);
  });
});
