/**
 * bench:chaos, the single-machine topology (the default; see run.ts): streamtune
 * as an operator runs it on one machine — `streamtune serve` (learning) and a
 * `serve --follow` replica, as CLI processes, on one broker of the benchmark's
 * own, sharing one registry directory — while a client calls Predict (trying the
 * other replica when one is down, as a load balancer would) and a producer
 * streams N events with bad events of 11 kinds, adjacent oversize ones among
 * them. Meanwhile, one fault at a time, each waited out before the next:
 *   - 12 SIGKILLs of the trainer: 6 at random moments, 6 as a checkpoint save starts;
 *   - 2 SIGKILLs of the learning `serve`, started again 2 s later as an operator would;
 *   - 1 broker stop of 22 s.
 * Nobody intervenes otherwise. At the end it counts from the broker and the
 * registry's version lineage and dedupe state (outcome.ts) and prints one JSON
 * object on stdout; progress goes to stderr.
 */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { trainBase } from '../../src/app/train-base.js';
import { ensureLocalBroker, stopLocalBroker } from '../../src/cli/local-broker.js';
import { createKafka, ensureTopics } from '../../src/ingest/index.js';
import { VersionStore } from '../../src/registry/index.js';
import { PredictorClient } from '../../src/serving/index.js';
import { alive } from '../../tests/helpers/processes.js';
import { freePort, sleep, type BenchRun } from '../bench-run.js';
import { chaosData, digitFeatures, maxRecovery, MODEL, saveStarting, startCli, trainerPidOf, waitUntil as waitFor, type ChaosOptions } from './common.js';
import { BAD_KIND_COUNT } from './events.js';
import { countOutcome } from './outcome.js';
import { predictLoop } from './predict-client.js';
import { produceChaos } from './producer.js';

export async function runSingle(run: BenchRun, o: ChaosOptions): Promise<void> {
  const N = o.events;
  const rand = o.rand;
  const started = Date.now();
  const { work, kafkaPort, brokerEnv, log, cleanup } = run;
  const waitUntil = (what: string, check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> => waitFor(log, what, check, timeoutMs);

  log(`${N} events; work dir ${work}; starting a broker of our own on 127.0.0.1:${kafkaPort}`);
  const brokers = await ensureLocalBroker(brokerEnv);
  const kafka = createKafka(brokers, 'streamtune-bench-chaos', () => undefined);
  const id = Date.now().toString(36);
  const topics = { labelsTopic: `chaos.labels.${id}`, dlqTopic: `chaos.dlq.${id}`, modelsTopic: `chaos.models.${id}` };
  await ensureTopics(kafka, [{ topic: topics.labelsTopic }, { topic: topics.dlqTopic }]);

  const { backend, base, digits, stream, reasons } = await chaosData(N);
  const store = new VersionStore(path.join(work, 'registry'));
  await trainBase({ model: MODEL, store, events: base, backend, epochs: 10 });

  const [grpcA, metricsA, grpcB, metricsB] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const config = (grpc: number, metrics: number, follow: boolean): string => {
    const file = path.join(work, `${follow ? 'replica' : 'serve'}.json`);
    fs.writeFileSync(
      file,
      JSON.stringify({
        model: MODEL,
        registryDir: store.root,
        backend,
        kafka: { brokers, ...topics, groupId: `chaos-${id}`, sessionTimeoutMs: 6000 },
        serving: { port: grpc, follow, http: { port: 0 } },
        metrics: { port: metrics },
        // Every valid id stays in the dedupe state, which is exact at this rate: the outcome is counted from it.
        training: { dedupeWindow: N + 1000, dedupeFalsePositiveRate: 1e-9 },
        // Every version stays: the outcome walks the whole lineage.
        registry: { retention: { keepVersions: 0 } },
      }),
    );
    return file;
  };
  const serveConfig = config(grpcA, metricsA, false);
  const replicaConfig = config(grpcB, metricsB, true);

  /** `streamtune serve` as a user starts it. The environment outranks the config file: KAFKA_BROKERS must name our broker, not one the caller set. */
  const startServe = (name: string, file: string): ChildProcess => startCli(run, name, ['serve', '--config', file], { KAFKA_BROKERS: brokers.join(',') });

  async function metricsOf(port: number): Promise<{ up: number; examples: number } | null> {
    try {
      const body = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
      const num = (re: RegExp): number => Number(re.exec(body)?.[1] ?? 0);
      return { up: num(/^streamtune_trainer_up\{[^}]*\} (\d+)$/m), examples: num(/^streamtune_train_examples_total\{[^}]*\} (\d+)$/m) };
    } catch {
      return null;
    }
  }

  let serve = startServe('serve', serveConfig);
  const replica = startServe('replica', replicaConfig);
  const trainerPid = (): number | undefined => trainerPidOf(serve.pid);
  await waitUntil('the trainer to consume', async () => (await metricsOf(metricsA))?.up === 1, 180_000);
  log(`serve (pid ${serve.pid}) learning, trainer pid ${trainerPid()}; replica (pid ${replica.pid}) following`);

  // ------------------------------------------------------ predict client ----
  const clients = [new PredictorClient(`127.0.0.1:${grpcA}`), new PredictorClient(`127.0.0.1:${grpcB}`)];
  const predict = predictLoop({
    clients,
    features: (i) => digitFeatures(digits, i),
    rotate: false,
    ready: () => waitUntil('the replica to serve', async () => !!(await clients[1]!.getModel().catch(() => null)), 180_000),
  });

  // ------------------------------------------------------------ producer ----
  const FAULTS = ['broker', ...Array<string>(6).fill('trainer-random'), ...Array<string>(6).fill('trainer-in-save'), 'serve', 'serve'];
  for (let i = FAULTS.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [FAULTS[i], FAULTS[j]] = [FAULTS[j]!, FAULTS[i]!];
  }
  let faultsLeft = FAULTS.length;
  // ~20 s per fault.
  const producing = produceChaos({ kafka, topic: topics.labelsTopic, stream, total: N, faultsLeft: () => faultsLeft, secondsPerFault: 20, log });

  // -------------------------------------------------------------- faults ----
  const counts = { trainer_kills: 0, trainer_kills_in_save: 0, serve_kills: 0, broker_restarts: 0 };
  const recoveries: number[] = [];
  let unrecovered = 0;
  const versionsDir = path.join(store.root, MODEL, 'versions');

  /** Seconds from `t0` until the serve's trainer (a new one, unless `samePidOk`) consumes and learns again. */
  async function recovery(t0: number, before: { examples: number; pid: number | undefined }, samePidOk = false): Promise<void> {
    const ok = await waitUntil(
      'recovery',
      async () => {
        const m = await metricsOf(metricsA);
        const pid = trainerPid();
        if (!m || m.up !== 1 || pid === undefined || (!samePidOk && pid === before.pid)) return false;
        // With every event produced there may be nothing left to learn: a consuming trainer is recovered.
        return m.examples > before.examples || producing.produced >= N;
      },
      300_000,
    );
    if (ok) recoveries.push((Date.now() - t0) / 1000);
    else unrecovered++;
  }

  async function killTrainer(inSave: boolean): Promise<void> {
    let pid = trainerPid();
    let tmp: string | undefined;
    if (inSave) {
      // Kill as a checkpoint save begins: its temporary folder just appeared.
      tmp = await saveStarting(versionsDir);
      pid = trainerPid();
    } else await sleep(500 + rand() * 4500);
    if (pid === undefined) return;
    const before = { examples: (await metricsOf(metricsA))?.examples ?? 0, pid };
    process.kill(pid, 'SIGKILL');
    const t0 = Date.now();
    counts.trainer_kills++;
    // The rename into versions/v<N> had not happened yet: the kill cut the save short.
    if (tmp && fs.existsSync(tmp)) counts.trainer_kills_in_save++;
    log(`killed trainer ${pid}${tmp ? ` during a checkpoint save (${fs.existsSync(tmp) ? 'cut short' : 'it had just finished'})` : ''}`);
    await recovery(t0, before);
  }

  for (const fault of FAULTS) {
    await sleep(1000 + rand() * 3000);
    if (fault === 'trainer-random' || fault === 'trainer-in-save') await killTrainer(fault === 'trainer-in-save');
    else if (fault === 'serve') {
      const pid = serve.pid!;
      const trainer = trainerPid();
      process.kill(pid, 'SIGKILL');
      const t0 = Date.now();
      counts.serve_kills++;
      log(`killed serve ${pid} (its trainer ${trainer} is orphaned); restarting it in 2 s`);
      await sleep(2000);
      serve = startServe('serve', serveConfig);
      await recovery(t0, { examples: 0, pid: trainer });
      log(`orphaned trainer ${trainer} ${trainer !== undefined && alive(trainer) ? 'still running' : 'gone'}`);
    } else {
      const before = { examples: 0, pid: trainerPid() };
      log('stopping the broker for 22 s');
      await stopLocalBroker(brokerEnv);
      await sleep(22_000);
      await ensureLocalBroker(brokerEnv);
      const t0 = Date.now();
      counts.broker_restarts++;
      before.examples = (await metricsOf(metricsA))?.examples ?? 0;
      log('broker back');
      await recovery(t0, before, true);
    }
    faultsLeft--;
    log(`${fault}: recovered in ${recoveries.at(-1)?.toFixed(1) ?? '?'} s (${producing.produced}/${N} produced)`);
  }

  await producing.done;
  // Learned to the end: the newest checkpoint covers the whole topic (its last events are valid ones).
  const admin = kafka.admin();
  await admin.connect();
  const end = (await admin.fetchTopicOffsets(topics.labelsTopic))[0]!.high;
  await admin.disconnect();
  await waitUntil(
    'the last checkpoint',
    async () => {
      const v = await store.newest(MODEL);
      return !!v && (await store.meta(MODEL, v)).offsets[`${topics.labelsTopic}/0`] === end;
    },
    600_000,
  );
  await predict.stop();
  for (const c of clients) c.close();
  for (const p of [serve, replica]) {
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await exited;
  }
  const outcome = await countOutcome(kafka, { ...topics, store, model: MODEL, reasons });
  if (predict.stats.errors.size > 0) log(`predict errors: ${JSON.stringify(Object.fromEntries(predict.stats.errors))}`);
  await cleanup();

  process.stdout.write(
    `${JSON.stringify({
      events: outcome.events,
      trainer_kills: counts.trainer_kills,
      serve_kills: counts.serve_kills,
      broker_restarts: counts.broker_restarts,
      bad_events: outcome.bad_events,
      bad_kinds: BAD_KIND_COUNT,
      dead_lettered: outcome.dead_lettered,
      learned: outcome.learned,
      learned_twice: outcome.learned_twice,
      lost: outcome.lost,
      predict_calls: predict.stats.calls,
      predict_failed: predict.stats.failed,
      max_recovery_s: maxRecovery(recoveries),
      unrecovered,
      trainer_kills_in_save: counts.trainer_kills_in_save,
      predict_failovers: predict.stats.failovers,
      versions: outcome.versions,
      lineage_mismatches: outcome.lineage_mismatches,
      duration_s: Math.round((Date.now() - started) / 1000),
    })}\n`,
  );
}
