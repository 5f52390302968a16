import { ClosedError } from './streamtune-error.js';

/**
 * Runs async work one piece at a time, in the order asked; a failed piece fails
 * its own caller only. After {@link close} new work is refused with a
 * {@link ClosedError} naming `what`.
 *
 * @example
 * const q = new SerialQueue('the registry publisher');
 * await q.run(() => publish(a)); // b waits for a
 * await q.close();               // waits for what was queued
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly what: string) {}

  run<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new ClosedError(this.what));
    const run = this.tail.then(work);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Refuses new work; resolves once the work queued before is done (whatever its outcome). */
  async close(): Promise<void> {
    this.closed = true;
    await this.tail;
  }
}
