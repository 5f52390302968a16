/**
 * The chaos benchmark's Predict client: one call at a time (10 ms apart) to one
 * server first, trying the next only when that one fails, as a load balancer
 * would. `rotate` starts each call on the next server in turn (replicas behind a
 * balancer); without it every call starts on the first. It counts calls that
 * failed on the first server tried and calls that failed on every server, and
 * notes each server's answers going back to an older version than it had served.
 */
import type { PredictorClient } from '../../src/serving/index.js';
import { sleep } from '../bench-run.js';

export interface PredictStats {
  calls: number;
  /** Calls no server answered. */
  failed: number;
  /** Calls the first server tried did not answer (answered by another, or by none). */
  failedFirstTry: number;
  /** Calls answered by a server other than the first tried. */
  failovers: number;
  /** Answers from a server with an older version than one it answered with before. */
  versionRegressions: number;
  /** Last error message of calls no server answered → how many. */
  errors: Map<string, number>;
  /** Newest version each server answered with (its number; 0: none yet). */
  newest: number[];
}

const versionNumber = (v: string): number => Number(/^v(\d+)$/.exec(v)?.[1] ?? 0);

export function predictLoop(o: { clients: PredictorClient[]; features: (i: number) => number[]; rotate: boolean; ready: () => Promise<unknown> }): { stats: PredictStats; stop(): Promise<void> } {
  const stats: PredictStats = { calls: 0, failed: 0, failedFirstTry: 0, failovers: 0, versionRegressions: 0, errors: new Map(), newest: o.clients.map(() => 0) };
  let stopped = false;
  const looping = (async () => {
    await o.ready();
    while (!stopped) {
      const features = o.features(stats.calls);
      const first = o.rotate ? stats.calls % o.clients.length : 0;
      stats.calls++;
      let answered = false;
      for (let k = 0; k < o.clients.length; k++) {
        const i = (first + k) % o.clients.length;
        try {
          const res = await o.clients[i]!.predict([{ features }], { deadlineMs: 3000 });
          const v = versionNumber(res.version);
          if (v < stats.newest[i]!) stats.versionRegressions++;
          stats.newest[i] = Math.max(stats.newest[i]!, v);
          if (k > 0) stats.failovers++;
          answered = true;
          break;
        } catch (err) {
          if (k === 0) stats.failedFirstTry++;
          if (k === o.clients.length - 1) {
            const msg = (err as Error).message.slice(0, 120);
            stats.errors.set(msg, (stats.errors.get(msg) ?? 0) + 1);
          }
        }
      }
      if (!answered) stats.failed++;
      await sleep(10);
    }
  })();
  return {
    stats,
    stop: async () => {
      stopped = true;
      await looping;
    },
  };
}
