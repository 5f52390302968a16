import type { FleetCommits } from './fleet-commits.js';
import type { Member } from './fleet-member.js';

/**
 * A trainer fleet's checkpoints, taken in rounds: once any model's checkpoint is
 * due, every model with unsaved learning saves in the same round, their saves
 * running side by side (their disk writes and fsyncs overlap), behind one fence
 * check (started with the round: its round trip overlaps the writes), and the
 * group commit that passes their events is made once, after all of them, without
 * holding up the next step. Taken one model at a time, each with its own fence
 * and commit, 20 models checkpointing every 250 ms needed more than the interval for their
 * saves alone (each ~30 ms of fsynced writes and two group round trips on a
 * loaded machine), so the step loop fell behind and freshness grew to seconds.
 * A model saved early keeps in step with the others from then on, so rounds
 * come once per `versionEveryMs` rather than once per model.
 *
 * @example
 * const rounds = new CheckpointRounds(commits);
 * await rounds.run(members, async (model, m) => (await m.trainer.saveVersion()) !== null);
 */
export class CheckpointRounds {
  private round: { fence?: Promise<void> } | null = null;
  /** The last round's group commit, made in the background (the step loop does not wait for its round trip). */
  private commitment: Promise<void> = Promise.resolve();
  private commitFailure: unknown;

  /** `fences`: saves check the fence (registry in a directory); with the registry on Kafka, their transactions are the fence and no probe is made. */
  constructor(
    private readonly commits: FleetCommits,
    private readonly fences = true,
  ) {}

  /** Whether a round is under way (its offsets-only commits wait for its end: see {@link run}). */
  get active(): boolean {
    return this.round !== null;
  }

  /**
   * The fence check before a checkpoint is installed (FleetCommits.probe): in a
   * round, one for all of its models, started with the round so its round trip
   * overlaps their writes; a save installs only once it succeeded. A rebalance is
   * still seen at once (`mayCheckpoint` holds back the saves that have not begun).
   */
  fence(): Promise<void> {
    if (!this.round) return this.commits.probe();
    return (this.round.fence ??= this.probe());
  }

  private probe(): Promise<void> {
    const fence = this.commits.probe();
    // Awaited by every save that installs; a round where none does (a rebalance) must not leave it unhandled.
    fence.catch(() => undefined);
    return fence;
  }

  /**
   * When a model's checkpoint is due: saves every model that may join (see
   * `OnlineTrainer.mayJoinCheckpoint`) side by side (`save` resolves true when it
   * saved a version), then commits once if any did, in the background (its
   * failure, a fence, is thrown by the next round or {@link settled}). The first
   * failure of a save is thrown once all saves settled.
   */
  async run(members: readonly (readonly [string, Member])[], save: (model: string, member: Member) => Promise<boolean>): Promise<void> {
    if (!members.some(([, m]) => m.trainer.checkpointDue)) return;
    await this.settled();
    const joining = members.filter(([, m]) => m.trainer.checkpointDue || m.trainer.mayJoinCheckpoint);
    this.round = this.fences ? { fence: this.probe() } : {};
    let results: PromiseSettledResult<boolean>[];
    try {
      results = await Promise.allSettled(joining.map(([model, m]) => save(model, m)));
    } finally {
      this.round = null;
    }
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
    if (!results.some((r) => r.status === 'fulfilled' && r.value)) return;
    // The offsets past every event the round saved (a model whose save failed holds the floor below its own).
    this.commitment = this.commits.commit().catch((err: unknown) => void (this.commitFailure = err));
  }

  /** Waits for the last round's commit; throws its failure (once). */
  async settled(): Promise<void> {
    await this.commitment;
    const err = this.commitFailure;
    this.commitFailure = undefined;
    if (err !== undefined) throw err;
  }
}
