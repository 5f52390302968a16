import type { Logger, LogFields } from '../core/index.js';
import type { ModelEvent } from '../serving/index.js';
import type { TrainerStats } from '../training/trainer-stats.js';

/** Level and message of each model event, as operators read them. */
const MODEL_EVENTS: Record<ModelEvent['type'], { level: 'info' | 'warn' | 'error'; event: string; msg: (e: ModelEvent) => string } | null> = {
  current: null,
  promotion: { level: 'info', event: 'swap', msg: (e) => `serving ${e.model}@${e.version}${e.previous ? ` (was ${e.previous})` : ''}` },
  candidate: { level: 'info', event: 'candidate', msg: (e) => `${e.model}@${e.version} loaded as a candidate: ${e.reason}` },
  // Logged by the server where the guardrail's scores are at hand.
  rejected: null,
  pin: { level: 'info', event: 'pin', msg: (e) => `${e.model} pinned to ${e.version}` },
  unpin: { level: 'info', event: 'unpin', msg: (e) => `${e.model} unpinned, serving ${e.version}` },
  rollback: { level: 'warn', event: 'rollback', msg: (e) => `rolled back ${e.model} from ${e.previous} to ${e.version}${e.reason ? `: ${e.reason}` : ''}` },
  swap_failed: { level: 'error', event: 'swap_failed', msg: (e) => `swap to ${e.model}@${e.version} failed, still serving ${e.previous || 'nothing'}: ${e.reason}` },
};

/**
 * Turns what happens to a model into one log line per notable event, each with
 * `event`, `model` and `version` fields: swaps, candidates, rejections, pins,
 * rollbacks, failed swaps (from VersionControl's `model-event`), drift and
 * dead-letter bursts (from the trainer's stats). Dead letters are summed and
 * logged at most once per `dlqBurstWindowMs`, so a flood of bad events is one
 * line per window, not one per event; what a window gathered is logged when it
 * ends, even if no more dead letters come. `close()` logs what is pending.
 */
export class OperatorLog {
  private dlqPending = 0;
  private dlqReasons: Record<string, number> = {};
  private dlqLastAt = Number.NEGATIVE_INFINITY;
  private dlqWhere = { model: '', version: '' };
  private cancelFlush: (() => void) | undefined;

  constructor(
    private readonly log: Logger,
    private readonly opts: {
      dlqBurstWindowMs?: number;
      now?: () => number;
      /** Runs `fn` after `ms`, returning a cancel function. @defaultValue an unref'd setTimeout */
      schedule?: (fn: () => void, ms: number) => () => void;
    } = {},
  ) {}

  modelEvent(e: ModelEvent): void {
    const how = MODEL_EVENTS[e.type];
    if (!how) return;
    const fields: LogFields = { event: how.event, model: e.model, version: e.version, previous: e.previous || undefined };
    this.log[how.level](how.msg(e), fields);
  }

  /** A trainer step's stats; `version` is the one serving now. */
  stats(s: TrainerStats, version: string): void {
    if (s.drifts > 0) this.log.warn(`concept drift detected on ${s.model}`, { event: 'drift', model: s.model, version, drifts: s.drifts });
    const rejected = Object.values(s.rejected).reduce((a, b) => a + b, 0);
    if (rejected === 0) return;
    this.dlqPending += rejected;
    for (const [r, n] of Object.entries(s.rejected)) this.dlqReasons[r] = (this.dlqReasons[r] ?? 0) + n;
    this.dlqWhere = { model: s.model, version };
    const window = this.opts.dlqBurstWindowMs ?? 10_000;
    const wait = this.dlqLastAt + window - this.now();
    if (wait <= 0) this.flushDeadLetters();
    else this.cancelFlush ??= this.schedule(() => this.flushDeadLetters(), wait);
  }

  /** Logs the dead letters not logged yet and stops the window's timer. */
  close(): void {
    this.flushDeadLetters();
  }

  private flushDeadLetters(): void {
    this.cancelFlush?.();
    this.cancelFlush = undefined;
    if (this.dlqPending === 0) return;
    const reasons = Object.entries(this.dlqReasons).map(([r, n]) => `${r}: ${n}`).join(', ');
    this.log.warn(`dead-lettered ${this.dlqPending} events (${reasons})`, { event: 'dlq_burst', ...this.dlqWhere, count: this.dlqPending });
    this.dlqPending = 0;
    this.dlqReasons = {};
    this.dlqLastAt = this.now();
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  private schedule(fn: () => void, ms: number): () => void {
    if (this.opts.schedule) return this.opts.schedule(fn, ms);
    const timer = setTimeout(fn, ms);
    timer.unref();
    return () => clearTimeout(timer);
  }
}
