import type { FleetCommits } from './fleet-commits.js';
import type { Member } from './fleet-member.js';

/**
 * A trainer fleet's checkpoints, taken in rounds: once any model's checkpoint is
 * due, every model with unsaved learning saves in the same round, their saves
 * running side by side (their disk writes and fsyncs overlap), behind one fence
 * check, and the group commit that passes their events is made once, after all
 * of them. Taken one model at a time, each with its own fence and commit, 20
 * models checkpointing every 250 ms needed more than the interval for their
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

  constructor(private readonly commits: FleetCommits) {}

  /** Whether a round is under way (its offsets-only commits wait for its end: see {@link run}). */
  get active(): boolean {
    return this.round !== null;
  }

  /**
   * The fence check before a checkpoint is installed (FleetCommits.probe): in a
   * round, one for all of its models, made by the first save that gets there;
   * a rebalance is still seen at once (the probe's first test is the group's state,
   * and `mayCheckpoint` holds back the saves that have not begun).
   */
  fence(): Promise<void> {
    if (!this.round) return this.commits.probe();
    return (this.round.fence ??= this.commits.probe());
  }

  /**
   * When a model's checkpoint is due: saves every model that may join (see
   * `OnlineTrainer.mayJoinCheckpoint`) side by side (`save` resolves true when it
   * saved a version), then commits once if any did. The first failure is thrown
   * once all saves settled.
   */
  async run(members: readonly (readonly [string, Member])[], save: (model: string, member: Member) => Promise<boolean>): Promise<void> {
    if (!members.some(([, m]) => m.trainer.checkpointDue)) return;
    const joining = members.filter(([, m]) => m.trainer.checkpointDue || m.trainer.mayJoinCheckpoint);
    this.round = {};
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
    await this.commits.commit();
  }
}
