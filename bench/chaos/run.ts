/**
 * Chaos benchmark (`npm run -s bench:chaos [-- --events N] [--seed S] [--keep]`):
 * streamtune's CLI processes as an operator runs them, with faults injected one
 * at a time (each waited out before the next) while a producer streams events
 * with bad ones of 11 kinds and a client calls Predict. Nobody intervenes
 * otherwise. At the end it counts what was learned, lost and learned twice from
 * the broker and the registry's version lineage (outcome.ts) and prints one
 * JSON object on stdout; progress goes to stderr. Never a test: numbers only.
 * What runs and which faults: single.ts.
 */
import { parseArgs } from 'node:util';
import { seededRandom } from '../../src/core/index.js';
import { benchRun } from '../bench-run.js';
import { runSingle } from './single.js';

const { values } = parseArgs({ options: { events: { type: 'string' }, seed: { type: 'string' }, keep: { type: 'boolean' } } });
const options = { events: Number(values.events ?? 100_000), rand: seededRandom(Number(values.seed ?? 11)) };
const run = benchRun('chaos', values.keep === true);
try {
  await runSingle(run, options);
} catch (err) {
  run.log(`failed: ${(err as Error).stack ?? String(err)}`);
  await run.cleanup();
  process.exit(1);
}
process.exit(0);
