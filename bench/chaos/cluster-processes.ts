/**
 * The streamtune processes of the cluster topology, each a "machine" with a
 * registry directory of its own (empty at start; `registry.mode: kafka` from the
 * environment, as an operator sets it): trainers `a` and `b` (`streamtune learn`,
 * one group) and replicas 0 and 1 (`streamtune serve --follow`). Config files and
 * logs are `<name>.json` and `<name>.log` in the work dir.
 */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BenchRun } from '../bench-run.js';
import { MODEL, startCli, trainerPidOf } from './common.js';

/** The trainers' session timeout (the broker's minimum): how long a dead or paused trainer holds its partition. */
export const SESSION_MS = 6000;

export interface ClusterProcesses {
  readonly trainerNames: readonly string[];
  /** `streamtune learn` of each trainer name (its supervisor restarts the trainer it forks). */
  readonly trainers: Map<string, ChildProcess>;
  readonly replicas: ChildProcess[];
  /** The pid of the trainer process `learn` runs now (the one that consumes and writes). */
  trainerPid(name: string): number | undefined;
  /** The trainer whose Kafka client id this is. */
  trainerOf(clientId: string): string | undefined;
  /** Where a trainer saves checkpoints of the model. */
  versionsDir(name: string): string;
  /** Starts replica `i` again (after a kill), on its config and directory. */
  restartReplica(i: number): ChildProcess;
}

export function startClusterProcesses(
  run: BenchRun,
  o: {
    brokers: string[];
    /** What every process's config holds (registryDir and the client id are added per process). */
    config: { kafka: Record<string, unknown> } & Record<string, unknown>;
    grpcPorts: number[];
    metricsPorts: number[];
  },
): ClusterProcesses {
  const env = { STREAMTUNE_REGISTRY_MODE: 'kafka', KAFKA_BROKERS: o.brokers.join(',') };
  const registryDir = (name: string): string => path.join(run.work, name, 'registry');
  const configFile = (name: string, extra: Record<string, unknown> = {}): string => {
    const file = path.join(run.work, `${name}.json`);
    fs.writeFileSync(file, JSON.stringify({ ...o.config, registryDir: registryDir(name), kafka: { ...o.config.kafka, clientId: `chaos-${name}` }, ...extra }));
    return file;
  };
  const trainerNames = ['a', 'b'];
  const trainers = new Map(trainerNames.map((t) => [t, startCli(run, `trainer-${t}`, ['learn', '--config', configFile(`trainer-${t}`, { metrics: { port: 0 } })], env)] as const));
  const replicaArgs = o.grpcPorts.map((port, i) => ['serve', '--follow', '--config', configFile(`replica-${i}`, { serving: { port, http: { port: 0 } }, metrics: { port: o.metricsPorts[i] } })]);
  const replicas = replicaArgs.map((args, i) => startCli(run, `replica-${i}`, args, env));
  return {
    trainerNames,
    trainers,
    replicas,
    trainerPid: (name) => trainerPidOf(trainers.get(name)?.pid),
    // Client ids are chaos-trainer-<name>, and the trainer's consumer adds -trainer.
    trainerOf: (clientId) => trainerNames.find((t) => clientId.startsWith(`chaos-trainer-${t}-`)),
    versionsDir: (name) => path.join(registryDir(`trainer-${name}`), MODEL, 'versions'),
    restartReplica: (i) => (replicas[i] = startCli(run, `replica-${i}`, replicaArgs[i]!, env)),
  };
}
