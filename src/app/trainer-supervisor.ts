import { TypedEmitter, type Logger } from '../core/index.js';
import type { TrainerProcess } from './trainer-process.js';

export interface TrainerSupervisorOptions {
  /** Makes the next trainer process (not started yet). */
  create(): TrainerProcess;
  /** Resolves when the broker answers; rejects with an error naming it when it does not. Asked before each start. */
  probe(): Promise<void>;
  logger: Logger;
  /** Delay before the first retry, doubled after each failure. @defaultValue 1000 */
  initialBackoffMs?: number;
  /** Longest delay between two attempts. @defaultValue 30_000 */
  maxBackoffMs?: number;
  /** A trainer that saved a version or ran this long starts the backoff over. @defaultValue 60_000 */
  stableAfterMs?: number;
  /** How long a trainer may take to start consuming. @defaultValue 120_000 */
  startTimeoutMs?: number;
  /**
   * Whether a failed start is the user's to fix (a bad setting, a registry with no
   * model), so that retrying cannot help. Asked until a trainer first consumes;
   * when it says so, supervision ends with `gave-up`.
   * @defaultValue never: every failure is retried (a server serves on whatever learning does)
   */
  fatalAtStart?: (err: unknown) => boolean;
  /** What goes on while no trainer consumes, for the failed-start warning. @defaultValue 'serving goes on' */
  meanwhile?: string;
}

/** What a {@link TrainerSupervisor} emits. */
export interface TrainerSupervisorEvents {
  /** A trainer process was forked: wire its messages. */
  spawned: (trainer: TrainerProcess) => void;
  /** It consumes. */
  up: (trainer: TrainerProcess) => void;
  /** A running trainer exited; the next one starts in `delayMs`. */
  exited: (e: { code: number | null; signal: NodeJS.Signals | null; delayMs: number }) => void;
  /** The first start failed on the user's mistake (see `fatalAtStart`): supervision has ended. */
  'gave-up': (err: unknown) => void;
}

/**
 * Keeps one trainer process running for as long as the server serves: a trainer
 * that dies, or cannot start (the broker is unreachable), is tried again forever,
 * after 1 s, 2 s, 4 s … at most 30 s; the backoff starts over once a trainer
 * makes progress (saves a version) or runs for a minute. Before each start the
 * broker is asked, so an outage costs a cheap probe per attempt, not a trainer
 * fork. It never throws, and gives up only on a first start that `fatalAtStart`
 * calls the user's mistake: serving (or `streamtune learn`) goes on while learning waits.
 *
 * Logs: a trainer exit at error level, a failed attempt at warn level (the same
 * failure again at debug level, so an outage is one line), and the recovery.
 *
 * @example
 * const sup = new TrainerSupervisor({ create: () => new TrainerProcess(config), probe: () => checkBrokers(brokers), logger });
 * sup.on('up', (t) => console.log(`trainer ${t.pid} consuming`));
 * await sup.start(); // after the first attempt, whatever its outcome
 */
export class TrainerSupervisor extends TypedEmitter<TrainerSupervisorEvents> {
  private current: TrainerProcess | undefined;
  private loop: Promise<void> | undefined;
  private started: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly o: TrainerSupervisorOptions) {
    super();
  }

  /** The trainer process of the current attempt (running, starting, or the last one). */
  get trainer(): TrainerProcess | undefined {
    return this.current;
  }

  /** Starts supervising; resolves once the first attempt consumes or has failed. Idempotent. */
  start(): Promise<void> {
    this.started ??= new Promise((settled) => {
      this.loop = this.run(settled);
    });
    return this.started;
  }

  private delay(failures: number): number {
    return Math.min(this.o.maxBackoffMs ?? 30_000, (this.o.initialBackoffMs ?? 1000) * 2 ** failures);
  }

  private async run(settled: () => void): Promise<void> {
    const { logger } = this.o;
    let failures = 0;
    let problem = '';
    let everUp = false;
    while (!this.closing) {
      let delayMs: number;
      try {
        await this.o.probe();
        if (this.closing) break;
        const trainer = this.o.create();
        this.current = trainer;
        let progressed = false;
        trainer.on('version', () => (progressed = true));
        const exit = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => trainer.once('exit', (code, signal) => resolve([code, signal])));
        this.emit('spawned', trainer);
        try {
          await trainer.start(this.o.startTimeoutMs);
        } catch (err) {
          trainer.kill();
          await exit;
          throw err;
        }
        if (problem) logger.info(`trainer consuming again after ${failures} failed attempt(s)`, { event: 'trainer_recovered' });
        problem = '';
        everUp = true;
        const upAt = Date.now();
        this.emit('up', trainer);
        settled();
        const [code, signal] = await exit;
        if (this.closing) break;
        if (progressed || Date.now() - upAt >= (this.o.stableAfterMs ?? 60_000)) failures = 0;
        delayMs = this.delay(failures++);
        logger.error(`trainer exited (code ${code}, signal ${signal}); restarting in ${delayMs} ms`, { event: 'trainer_exit', code: code ?? undefined, signal: signal ?? undefined });
        this.emit('exited', { code, signal, delayMs });
      } catch (err) {
        if (this.closing) break;
        if (!everUp && this.o.fatalAtStart?.(err)) {
          this.emit('gave-up', err);
          break;
        }
        delayMs = this.delay(failures++);
        const error = err as Error;
        // One line per kind of failure, not one per attempt: an outage of an hour is one warning.
        const log = error.message === problem ? logger.debug.bind(logger) : logger.warn.bind(logger);
        log(`trainer not started: ${error.message}; ${this.o.meanwhile ?? 'serving goes on'}, learning starts when this is fixed (next attempt in ${delayMs} ms, then every ≤ ${this.delay(99) / 1000} s)`, {
          event: 'trainer_start_failed',
          attempt: failures,
        });
        problem = error.message;
        settled();
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delayMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    settled();
  }

  /** Stops supervising and stops the trainer (it saves and commits). Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.wake?.();
      await this.current?.stop();
      await this.loop;
    })();
    return this.closing;
  }
}
