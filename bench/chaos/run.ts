/**
 * Chaos benchmark (`npm run -s bench:chaos [-- --topology single|cluster] [--events N] [--seed S] [--keep]`):
 * streamtune's CLI processes as an operator runs them, with faults injected one
 * at a time (each waited out before the next) while a producer streams events
 * with bad ones of 11 kinds and a client calls Predict. Nobody intervenes
 * otherwise. At the end it counts what was learned, lost and learned twice from
 * the broker and the registry's version lineage (outcome.ts) and prints one
 * JSON object on stdout; progress goes to stderr. Never a test: numbers only.
 *
 * - `single` (default; single.ts): one machine, one broker, a shared registry
 *   directory; `streamtune serve` (learning) and a `serve --follow` replica;
 *   100,000 events by default.
 * - `cluster` (cluster.ts): machines that share no disk, on loopback: 3 brokers,
 *   `registry.mode: kafka`, 2 `streamtune learn` trainers in one group and 2
 *   `serve --follow` replicas, each with its own registry directory; 20,000
 *   events by default.
 */
import { parseArgs } from 'node:util';
import { seededRandom } from '../../src/core/index.js';
import { benchRun } from '../bench-run.js';
import { runCluster } from './cluster.js';
import { runSingle } from './single.js';

const { values } = parseArgs({ options: { topology: { type: 'string' }, events: { type: 'string' }, seed: { type: 'string' }, keep: { type: 'boolean' } } });
const topology = values.topology ?? 'single';
if (topology !== 'single' && topology !== 'cluster') {
  process.stderr.write(`bench:chaos: --topology is single or cluster, not "${topology}"\n`);
  process.exit(2);
}
const options = { events: Number(values.events ?? (topology === 'cluster' ? 20_000 : 100_000)), rand: seededRandom(Number(values.seed ?? 11)) };
const run = benchRun('chaos', values.keep === true);
try {
  await (topology === 'cluster' ? runCluster(run, options) : runSingle(run, options));
} catch (err) {
  run.log(`failed: ${(err as Error).stack ?? String(err)}`);
  await run.cleanup();
  process.exit(1);
}
process.exit(0);
