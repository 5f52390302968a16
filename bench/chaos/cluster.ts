/**
 * bench:chaos, the cluster topology (`--topology cluster`; see run.ts): streamtune
 * across machines that share no disk, all on loopback. A cluster of 3 brokers of
 * the benchmark's own (scripts/kafka.sh `up --brokers 3`: every topic 3 copies,
 * min.insync.replicas 2), `registry.mode: kafka`, 2 trainers (`streamtune learn`)
 * in one group and 2 serving replicas (`streamtune serve --follow`), each with a
 * registry directory of its own that starts empty; the first version is trained
 * on a "machine" of its own and reaches everyone through the registry topic.
 *
 * One model on a one-partition labels topic: one trainer learns, the other stands
 * by, so every trainer fault goes through the standby/takeover path and the fence
 * (one transactional producer per labels partition). The guardrail is off: every
 * checkpoint is promoted, so a replica serving an older version after a newer one
 * can only be a fault's doing, never a rollback.
 *
 * While a producer streams N events (default 20,000; bad events of 11 kinds among
 * them) and a client calls Predict on one replica, trying the other only when the
 * first fails (the first alternates), one fault at a time, each waited out:
 *   - 4 SIGKILLs of the trainer owning the partition (2 at random moments, 2 as a
 *     checkpoint save starts); `learn` restarts it;
 *   - 2 SIGSTOPs of that trainer past the session timeout (6 s), until the standby
 *     has taken over and checkpointed, then SIGCONT: it must not write again;
 *   - SIGKILL of the broker leading the labels partition, and of the one leading
 *     the registry topic, each restarted 15 s later (then every replica in sync);
 *   - SIGKILL of a replica, restarted 2 s later.
 * A fault is recovered when a checkpoint covering an event produced after it is
 * committed (`checkpoint …` lines of the trainers' logs). At the end the trainers
 * stop, a fresh mirror of the registry topic gives the lineage that outcome.ts
 * counts lost and learned-twice events from, and the topic's manifests give the forks.
 */
import * as path from 'node:path';
import { trainBase } from '../../src/app/train-base.js';
import { createKafka, ensureTopics } from '../../src/ingest/index.js';
import { KafkaRegistryPublisher, startRegistryMirror, VersionStore } from '../../src/registry/index.js';
import { PredictorClient } from '../../src/serving/index.js';
import { freePort, sleep, stopChild, type BenchRun } from '../bench-run.js';
import { SESSION_MS, startClusterProcesses } from './cluster-processes.js';
import { FAULTS, runClusterFaults } from './cluster-faults.js';
import { partitionOwner, TrainerLogs } from './cluster-watch.js';
import { chaosData, digitFeatures, maxRecovery, MODEL, waitUntil as waitFor, type ChaosOptions } from './common.js';
import { BAD_KIND_COUNT } from './events.js';
import { countForks, countOutcome } from './outcome.js';
import { predictLoop } from './predict-client.js';
import { produceChaos } from './producer.js';

export async function runCluster(run: BenchRun, o: ChaosOptions): Promise<void> {
  const N = o.events;
  const started = Date.now();
  const { work, kafkaPort, log, cleanup } = run;
  const waitUntil = (what: string, check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> => waitFor(log, what, check, timeoutMs);

  log(`${N} events; work dir ${work}; starting 3 brokers of our own on 127.0.0.1:${kafkaPort},${kafkaPort + 2},${kafkaPort + 4}`);
  const brokers = /^KAFKA_BROKERS=(\S+)$/m.exec(await run.kafkaScript(['up', '--brokers', '3']))![1]!.split(',');
  const kafka = createKafka(brokers, 'streamtune-bench-chaos', () => undefined);
  const id = Date.now().toString(36);
  const topics = { labelsTopic: `chaos.labels.${id}`, dlqTopic: `chaos.dlq.${id}`, modelsTopic: `chaos.models.${id}` };
  const registryTopic = `chaos.registry.${id}`;
  const groupId = `chaos-${id}`;
  await ensureTopics(kafka, [{ topic: topics.labelsTopic, numPartitions: 1 }, { topic: topics.dlqTopic }]);

  const { backend, base, digits, stream, reasons } = await chaosData(N);
  // The first version, from a machine of its own: every other registry directory starts empty.
  const seed = new VersionStore(path.join(work, 'seed'));
  await trainBase({ model: MODEL, store: seed, events: base, backend, epochs: 10 });
  const publisher = new KafkaRegistryPublisher({ kafka, topic: registryTopic, store: seed });
  // A topic just created reaches every broker a moment later: asked too early, one does not know it yet.
  for (let attempt = 1; ; attempt++) {
    try {
      await publisher.publish(MODEL, (await seed.newest(MODEL))!);
      break;
    } catch (err) {
      if (attempt === 10) throw err;
      log(`publishing the first version: ${(err as Error).message}; again in 1 s`);
      await sleep(1000);
    }
  }
  await publisher.close();
  log(`${MODEL}@${await seed.newest(MODEL)} published on ${registryTopic}`);

  const grpcPorts = [await freePort(), await freePort()];
  const cluster = startClusterProcesses(run, {
    brokers,
    config: {
      model: MODEL,
      backend,
      // Every version stays: the outcome walks the whole lineage.
      registry: { topic: registryTopic, retention: { keepVersions: 0 } },
      kafka: { brokers, ...topics, groupId, sessionTimeoutMs: SESSION_MS },
      // Every valid id stays in the dedupe state, exact at this rate (the outcome is counted from it); every checkpoint is promoted.
      training: { dedupeWindow: N + 1000, dedupeFalsePositiveRate: 1e-9, guardrail: { enabled: false } },
    },
    grpcPorts,
    metricsPorts: [await freePort(), await freePort()],
  });
  const logs = new TrainerLogs(work, cluster.trainerNames, `${topics.labelsTopic}/0`);
  const clients = grpcPorts.map((p) => new PredictorClient(`127.0.0.1:${p}`));
  const serving = (i: number) => async (): Promise<boolean> => !!(await clients[i]!.getModel().catch(() => null));
  await waitUntil('a trainer to own the labels partition and the other to stand by', async () => {
    const g = await partitionOwner(kafka, groupId, topics.labelsTopic);
    return g.owner !== null && g.members === 2;
  }, 240_000);
  await waitUntil('both replicas to serve', async () => (await serving(0)()) && (await serving(1)()), 240_000);
  log(`trainers ${cluster.trainerNames.map((t) => `${t} (pid ${cluster.trainerPid(t)})`).join(', ')}; replicas serving`);

  const predict = predictLoop({ clients, features: (i) => digitFeatures(digits, i), rotate: true, ready: async () => undefined });
  const faults = { left: FAULTS.length };
  // A fault takes ~30 s here (a broker restart more, a trainer kill less).
  const producing = produceChaos({ kafka, topic: topics.labelsTopic, stream, total: N, faultsLeft: () => faults.left, secondsPerFault: 30, log });
  const result = await runClusterFaults({ run, kafka, rand: o.rand, cluster, logs, producing, total: N, faults, topics: { labels: topics.labelsTopic, registry: registryTopic, groupId }, serving, log });

  await producing.done;
  const admin = kafka.admin();
  await admin.connect();
  const end = Number((await admin.fetchTopicOffsets(topics.labelsTopic))[0]!.high);
  await admin.disconnect();
  await waitUntil('a checkpoint of the whole labels topic', () => (logs.newest()?.offset ?? 0) >= end, 600_000);
  log('learned to the end; stopping the trainers');
  for (const t of cluster.trainers.values()) await stopChild(t);
  logs.poll();
  logs.close();

  // What the cluster holds, as a machine with an empty directory sees it.
  const reader = new VersionStore(path.join(work, 'reader'));
  const mirror = (await startRegistryMirror(kafka, { registry: { mode: 'kafka', topic: registryTopic, chunkBytes: 512 * 1024 } }, reader, { log: () => undefined }))!;
  const newest = await reader.newest(MODEL);
  const converged = await waitUntil(`both replicas to serve ${newest}`, async () => (await Promise.all(clients.map(async (c) => (await c.getModel()).version))).every((v) => v === newest), 60_000);
  await predict.stop();
  for (const c of clients) c.close();
  for (const r of cluster.replicas) await stopChild(r);
  const outcome = await countOutcome(kafka, { ...topics, store: reader, model: MODEL, reasons });
  const forks = await countForks(kafka, registryTopic);
  await mirror.close();
  if (forks.forks.length > 0) log(`forked versions: ${forks.forks.join(', ')}`);
  if (predict.stats.errors.size > 0) log(`predict errors: ${JSON.stringify(Object.fromEntries(predict.stats.errors))}`);
  for (const f of logs.fences) log(`fenced (trainer ${f.trainer}): ${f.line}`);
  await cleanup();

  process.stdout.write(
    `${JSON.stringify({
      topology: 'cluster',
      events: outcome.events,
      brokers: brokers.length,
      trainers: cluster.trainerNames.length,
      replicas: cluster.replicas.length,
      trainer_kills: result.counts.trainer_kills,
      trainer_kills_in_save: result.counts.trainer_kills_in_save,
      trainer_stops: result.counts.trainer_stops,
      broker_kills: result.counts.broker_kills,
      replica_kills: result.counts.replica_kills,
      bad_events: outcome.bad_events,
      bad_kinds: BAD_KIND_COUNT,
      dead_lettered: outcome.dead_lettered,
      learned: outcome.learned,
      learned_twice: outcome.learned_twice,
      lost: outcome.lost,
      zombies: result.zombies,
      forks: forks.forks.length,
      version_regressions: predict.stats.versionRegressions,
      replicas_converged: converged,
      predict_calls: predict.stats.calls,
      predict_failed_first_try: predict.stats.failedFirstTry,
      predict_failed: predict.stats.failed,
      max_recovery_s: maxRecovery(result.recoveries),
      unrecovered: result.unrecovered,
      versions: outcome.versions,
      lineage_mismatches: outcome.lineage_mismatches,
      duration_s: Math.round((Date.now() - started) / 1000),
    })}\n`,
  );
}
