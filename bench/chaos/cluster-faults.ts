/**
 * The faults of the cluster topology (see cluster.ts), in a seeded random order,
 * one at a time, each waited out before the next: 4 trainer SIGKILLs (2 as a
 * checkpoint save starts), 2 trainer SIGSTOPs past the session timeout, the
 * labels-partition leader and the registry-topic leader broker SIGKILLed and
 * restarted, a replica SIGKILLed and restarted. Each recovery is the time from
 * the fault until a committed checkpoint covers an event produced after it.
 */
import * as fs from 'node:fs';
import type { Kafka } from 'kafkajs';
import { sleep, type BenchRun } from '../bench-run.js';
import { SESSION_MS, type ClusterProcesses } from './cluster-processes.js';
import { allInSync, leaderOf, partitionOwner, type TrainerLogs } from './cluster-watch.js';
import { saveStarting, waitUntil as waitFor } from './common.js';
import type { Producing } from './producer.js';

export const FAULTS = ['trainer-kill', 'trainer-kill', 'trainer-kill-in-save', 'trainer-kill-in-save', 'trainer-stop', 'trainer-stop', 'labels-leader', 'registry-leader', 'replica'];
/** How long a killed broker stays down. */
const BROKER_DOWN_MS = 15_000;
const RECOVERY_TIMEOUT_MS = 300_000;

export interface ClusterFaultsResult {
  counts: { trainer_kills: number; trainer_kills_in_save: number; trainer_stops: number; broker_kills: number; replica_kills: number };
  /** Resumed trainers whose log shows a refused write after the resume. */
  zombies: number;
  recoveries: number[];
  unrecovered: number;
}

export async function runClusterFaults(o: {
  run: BenchRun;
  kafka: Kafka;
  rand: () => number;
  cluster: ClusterProcesses;
  logs: TrainerLogs;
  producing: Producing;
  total: number;
  /** Faults still to come; counted down here (the producer paces itself by it). */
  faults: { left: number };
  topics: { labels: string; registry: string; groupId: string };
  /** Whether replica i answers GetModel. */
  serving: (i: number) => () => Promise<boolean>;
  log: (line: string) => void;
}): Promise<ClusterFaultsResult> {
  const { cluster, log, rand } = o;
  const waitUntil = (what: string, check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> => waitFor(log, what, check, timeoutMs);
  const result: ClusterFaultsResult = { counts: { trainer_kills: 0, trainer_kills_in_save: 0, trainer_stops: 0, broker_kills: 0, replica_kills: 0 }, zombies: 0, recoveries: [], unrecovered: 0 };
  const faults = [...FAULTS];
  for (let i = faults.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [faults[i], faults[j]] = [faults[j]!, faults[i]!];
  }
  o.faults.left = faults.length;

  /** Waits until a checkpoint covers an event produced after `t0` (with every event produced: one covering them all). */
  const recovery = async (t0: number, producedAt: number): Promise<void> => {
    const all = producedAt >= o.total;
    const ok = await waitUntil('a checkpoint covering events produced after the fault', () => o.logs.checkpoints.some((c) => (all ? c.offset >= o.total : c.at >= t0 && c.offset > producedAt)), RECOVERY_TIMEOUT_MS);
    if (ok) result.recoveries.push((Date.now() - t0) / 1000);
    else result.unrecovered++;
  };

  /** The trainer that owns the labels partition once the group is stable. */
  const owner = async (): Promise<string | undefined> => {
    let name: string | undefined;
    await waitUntil('a trainer to own the labels partition', async () => {
      const g = await partitionOwner(o.kafka, o.topics.groupId, o.topics.labels);
      name = g.owner ? cluster.trainerOf(g.owner) : undefined;
      return name !== undefined && cluster.trainerPid(name) !== undefined;
    }, 120_000);
    return name;
  };

  const killTrainer = async (inSave: boolean): Promise<void> => {
    const t = await owner();
    if (!t) return;
    // Kill as a checkpoint save begins (its temporary folder just appeared), or at a random moment.
    const tmp = inSave ? await saveStarting(cluster.versionsDir(t)) : (await sleep(500 + rand() * 4500), undefined);
    const pid = cluster.trainerPid(t);
    if (pid === undefined) return;
    const producedAt = o.producing.produced;
    process.kill(pid, 'SIGKILL');
    const t0 = Date.now();
    result.counts.trainer_kills++;
    // Not renamed into versions/v<N> yet: the kill cut the save (and its transaction) short.
    if (tmp && fs.existsSync(tmp)) result.counts.trainer_kills_in_save++;
    log(`killed trainer ${t} (pid ${pid})${tmp ? ` during a checkpoint save (${fs.existsSync(tmp) ? 'cut short' : 'it had just finished'})` : ''}`);
    await recovery(t0, producedAt);
  };

  const stopTrainer = async (): Promise<void> => {
    const t = await owner();
    if (!t) return;
    await sleep(500 + rand() * 4500);
    const pid = cluster.trainerPid(t);
    if (pid === undefined) return;
    const producedAt = o.producing.produced;
    process.kill(pid, 'SIGSTOP');
    const t0 = Date.now();
    result.counts.trainer_stops++;
    log(`paused trainer ${t} (pid ${pid}); resuming it once the standby has taken over`);
    // Past the session timeout in any case, and until the standby has checkpointed events it learned meanwhile.
    await Promise.all([recovery(t0, producedAt), sleep(SESSION_MS + 2000)]);
    const resumedAt = Date.now();
    process.kill(pid, 'SIGCONT');
    // It still holds events and believes it owns the partition: a write of it must be refused, and learn then restarts it.
    const fenced = (): boolean => o.logs.fences.some((f) => f.trainer === t && f.at >= resumedAt);
    await waitUntil(`trainer ${t} to write after its resume (and be refused)`, () => fenced() || cluster.trainerPid(t) !== pid, 30_000);
    await sleep(1000);
    o.logs.poll();
    if (fenced()) result.zombies++;
    log(`resumed trainer ${t}: ${fenced() ? 'its write was refused (fenced)' : 'no refused write in its log'}; its trainer is now ${cluster.trainerPid(t) ?? 'restarting'}`);
  };

  const killBroker = async (topic: string): Promise<void> => {
    await sleep(500 + rand() * 4500);
    const node = await leaderOf(o.kafka, topic);
    const producedAt = o.producing.produced;
    await o.run.kafkaScript(['stop-node', String(node), '--kill']);
    const t0 = Date.now();
    result.counts.broker_kills++;
    log(`killed broker ${node} (leader of ${topic}/0); restarting it in ${BROKER_DOWN_MS / 1000} s`);
    const recovered = recovery(t0, producedAt);
    await sleep(BROKER_DOWN_MS);
    await o.run.kafkaScript(['start-node', String(node)]);
    log(`broker ${node} back; waiting for every replica to be in sync`);
    await waitUntil('every replica in sync', () => allInSync(o.kafka), 180_000);
    await recovered;
  };

  const killReplica = async (): Promise<void> => {
    await sleep(500 + rand() * 4500);
    const i = Math.floor(rand() * cluster.replicas.length);
    const replica = cluster.replicas[i]!;
    const producedAt = o.producing.produced;
    replica.kill('SIGKILL');
    const t0 = Date.now();
    result.counts.replica_kills++;
    log(`killed replica ${i} (pid ${replica.pid}); restarting it in 2 s`);
    const recovered = recovery(t0, producedAt);
    await sleep(2000);
    cluster.restartReplica(i);
    await waitUntil(`replica ${i} to serve again`, o.serving(i), 240_000);
    await recovered;
  };

  for (const fault of faults) {
    await sleep(1000 + rand() * 3000);
    if (fault === 'trainer-kill' || fault === 'trainer-kill-in-save') await killTrainer(fault === 'trainer-kill-in-save');
    else if (fault === 'trainer-stop') await stopTrainer();
    else if (fault === 'labels-leader') await killBroker(o.topics.labels);
    else if (fault === 'registry-leader') await killBroker(o.topics.registry);
    else await killReplica();
    o.faults.left--;
    log(`${fault}: recovered in ${result.recoveries.at(-1)?.toFixed(1) ?? '?'} s (${o.producing.produced}/${o.total} produced)`);
  }
  return result;
}
