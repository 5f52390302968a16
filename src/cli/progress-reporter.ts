import { progressBar } from './progress-bar.js';

/** Where progress goes: stderr, or a stand-in in tests. */
export interface ProgressStream {
  isTTY?: boolean;
  write(chunk: string): unknown;
}

export interface ProgressReporter {
  /** `done` of `total` with a short text (e.g. `epoch 3/30 loss 0.1234`). */
  update(done: number, total: number, text: string): void;
  /** Ends the bar's line on a terminal; elsewhere prints the last update if it was held back. */
  end(): void;
}

/**
 * Progress of a long command. On a terminal: a bar redrawn in place with `\r`.
 * Elsewhere (a log file, CI, a pipe): plain lines, the first update, then at most
 * one per `intervalMs`, and the last one, so the output stays readable.
 *
 * @example
 * const p = progressReporter();
 * for (let e = 1; e <= 30; e++) p.update(e, 30, `epoch ${e}/30`);
 * p.end();
 */
export function progressReporter(opts: { stream?: ProgressStream; intervalMs?: number; now?: () => number } = {}): ProgressReporter {
  const stream = opts.stream ?? process.stderr;
  const now = opts.now ?? Date.now;
  const intervalMs = opts.intervalMs ?? 5000;
  let drawn = false;
  let lastAt = Number.NEGATIVE_INFINITY;
  let held: string | undefined;
  return {
    update(done, total, text) {
      if (stream.isTTY) {
        stream.write(`\r${progressBar(done, total)} ${text}`);
        drawn = true;
        return;
      }
      const t = now();
      if (done >= total || t - lastAt >= intervalMs) {
        stream.write(`${text}\n`);
        lastAt = t;
        held = undefined;
      } else {
        held = text;
      }
    },
    end() {
      if (stream.isTTY) {
        if (drawn) stream.write('\n');
        drawn = false;
      } else if (held !== undefined) {
        stream.write(`${held}\n`);
        held = undefined;
      }
    },
  };
}
