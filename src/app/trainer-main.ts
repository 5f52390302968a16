/**
 * Entry of the trainer process: online learning of every model of the registry
 * (events routed by their `model`) runs here, off the serving event loop. It
 * reports stats and new versions to its parent over IPC and stops cleanly (last
 * version of each model saved, offsets committed) on a `stop` message.
 */
import { loadConfig, ModelNotFoundError, selectBackend, StreamtuneError, type Config } from '../core/index.js';
import { createKafka, readEventsJsonl } from '../ingest/index.js';
import { ensureModelsTopic, ModelAnnouncer, RegistryRetention, RegistryTransactions, registryPublisher, startRegistryMirror, VersionStore } from '../registry/index.js';
import { startFleetLearning } from '../training/fleet-learning.js';
import { startTracing } from '../ops/index.js';
import type { ServerMessage, TrainerMessage } from './trainer-messages.js';
import { trainerOverrides, type TrainerSecrets } from './trainer-secrets.js';
import { featurize, modelTarget, type FeatureSpec } from '../features/index.js';
import { needsConv, type Example } from '../learners/index.js';

/**
 * Tells the server, if it is still there. The callback takes the error of a send
 * to a parent that just died (EPIPE): without it the error would be emitted on
 * `process` and kill the trainer before it saved.
 */
const send = (m: TrainerMessage): void => {
  if (process.connected) process.send!(m, undefined, {}, () => undefined);
};

/**
 * The `error` message for `err`: a streamtune error keeps its code and flag, so the
 * parent tells a bad setting (not retriable) from a broker that went away.
 */
const failure = (err: unknown, prefix = ''): TrainerMessage => {
  const message = `${prefix}${(err as Error)?.message ?? String(err)}`;
  return err instanceof StreamtuneError ? { type: 'error', message, code: err.code, retriable: err.retriable } : { type: 'error', message };
};

/** Set once learning runs: saves, commits and exits. */
let stopLearning: (() => Promise<void>) | undefined;
/** Stops learning (it saves and commits); before learning started there is nothing to save. */
const leave = (): void => {
  if (stopLearning) void stopLearning();
  else process.exit(0);
};
process.on('message', (m: ServerMessage) => {
  if (m.type === 'stop') leave();
});
// An orphaned trainer (server killed) saves what it learned and leaves; one that has
// learned nothing yet just leaves, so it never holds the partitions of the next trainer.
process.on('disconnect', leave);

/** The guardrail's trusted holdout set, featurized for the model. */
async function readHoldout(file: string, spec: FeatureSpec): Promise<Example[]> {
  const { events } = await readEventsJsonl(file);
  return events.filter((e) => e.label !== null).map((e) => ({ x: featurize(e.input, spec), y: modelTarget(e.input, e.label!, spec) }));
}

/** Models of the registry this trainer may learn (all when `training.models` is empty) that have a version. */
async function modelsAtStart(store: VersionStore, allowed: readonly string[]): Promise<string[]> {
  const present = await store.models();
  return allowed.length > 0 ? present.filter((m) => allowed.includes(m)) : present;
}

/**
 * What to do about a registry with no model: in `registry.mode` kafka versions come
 * from the registry topic, which `streamtune models create` publishes to (`train` only
 * writes its own directory); in mode dir both write the shared directory.
 */
function noModelMessage(config: Config): string {
  const which = config.training.models.length > 0 ? `none of ${config.training.models.join(', ')} (training.models) has` : `model "${config.model}" has`;
  if (config.registry.mode === 'kafka') {
    return `${which} no version on the registry topic ${config.registry.topic}: create one with \`streamtune models create NAME --input … --labels …\` (registry.mode kafka, same topic), which publishes it there`;
  }
  return `${which} no version in ${config.registryDir}: run \`streamtune train --model NAME\` or \`streamtune models create NAME\` first`;
}

/** The secrets the server held back from this process's environment (an inline SASL password). */
const askSecrets = (): Promise<TrainerSecrets> =>
  new Promise((resolve) => {
    const answer = (m: ServerMessage): void => {
      if (m.type !== 'secrets') return;
      process.off('message', answer);
      resolve(m.secrets);
    };
    process.on('message', answer);
    send({ type: 'secrets' });
  });

async function main(): Promise<void> {
  const config: Config = loadConfig({ overrides: await trainerOverrides(process.env, askSecrets) });
  // The learning path's spans (decode, step, publish) are exported from here, the process that makes them.
  const tracing = await startTracing(config.tracing, { role: 'trainer', log: (line) => send({ type: 'log', line, level: 'warn' }) });
  const store = new VersionStore(config.registryDir);
  const kafka = createKafka(config.kafka, `${config.kafka.clientId}-trainer`, (line) => send({ type: 'log', line, level: 'warn' }));
  // registry.mode kafka: versions come from the cluster (an empty directory is enough) and go back to it.
  const mirror = await startRegistryMirror(kafka, config, store, { log: (line) => send({ type: 'log', line }), models: config.training.models });
  const publisher = registryPublisher(kafka, config, store);
  // With the registry on Kafka, each checkpoint and the offsets past its events go out in one transaction, fenced per labels partition.
  const transactions = mirror
    ? new RegistryTransactions({ kafka, registryTopic: config.registry.topic, labelsTopic: config.kafka.labelsTopic, groupId: config.kafka.groupId, chunkBytes: config.registry.chunkBytes })
    : null;
  // After each checkpoint, the versions registry.retention drops go: from the topic (tombstones) first, then from here.
  const retention = new RegistryRetention({
    store,
    policy: config.registry.retention,
    publisher,
    chunkBytes: config.registry.chunkBytes,
    topicKeys: (model, version) => mirror?.assembler.keysOf(model, version),
    log: (line) => send({ type: 'log', line }),
  });
  const models = await modelsAtStart(store, config.training.models);
  // Models are loaded on their first event; a registry with none at all is a setup mistake.
  if (models.length === 0) throw new ModelNotFoundError(noModelMessage(config), { model: config.model });
  let conv = false;
  for (const model of models) {
    // Saves cut short by a kill or a full disk left temporary folders: free their space.
    const abandoned = await store.removeAbandoned(model);
    if (abandoned.length > 0) send({ type: 'log', line: `${model}: removed ${abandoned.length} partial version folder(s) of interrupted saves: ${abandoned.join(', ')}` });
    // Image and audio models are CNNs: pick a backend with Conv2D gradients before loading any.
    conv ||= needsConv((await store.meta(model, (await store.newest(model))!)).config);
  }
  const choice = await selectBackend(config.backend, { conv });
  if (publisher) {
    // Publishes base versions made by `streamtune train` on this machine (a version the topic has goes out again
    // with the same bytes under the same keys: harmless), in the background.
    void (async () => {
      for (const model of models) await publisher.publish(model, (await store.newest(model))!);
    })().catch((err: unknown) => send({ type: 'log', line: `republishing the newest versions failed: ${(err as Error).message}`, level: 'warn' }));
  }
  await ensureModelsTopic(kafka, config.kafka.modelsTopic);
  const announcer = new ModelAnnouncer(kafka, config.kafka.modelsTopic);
  const warn = (what: string) => (err: unknown) => send({ type: 'log', line: `${what.startsWith('publishing') ? what : `announcing ${what}`} failed: ${(err as Error).message}`, level: 'warn' });
  const holdoutFile = config.training.guardrail.holdoutFile;
  const fl = await startFleetLearning({
    kafka,
    store,
    defaultModel: config.model,
    backend: choice.backend,
    topics: config.kafka,
    training: config.training,
    ...(mirror && transactions ? { registry: { transactions, sync: () => mirror.sync() } } : {}),
    // The holdout file holds events of the configured model only.
    holdout: async (model, learner) => (holdoutFile && model === config.model ? readHoldout(holdoutFile, learner.featureSpec) : undefined),
    log: (line, level) => send({ type: 'log', line, level }),
    onModel: (e) => send({ type: 'log', line: `${e.action} ${e.model}${e.version ? `@${e.version}` : ''}: ${e.reason}` }),
    onRollback: (r) => {
      send({ type: 'rollback', ...r });
      announcer
        .announce({ model: r.model, version: r.to, artifact: `${r.model}/versions/${r.to}`, parent: null, metrics: {}, createdAt: new Date().toISOString(), action: 'rollback', reason: r.reason })
        .catch(warn(`the rollback of ${r.model}`));
    },
    onStats: (stats) => send({ type: 'stats', stats }),
    onVersion: (m, info) => {
      const { eventTimestamps, steppedAt, saveStartedAt, savedAt } = info;
      send({ type: 'version', meta: m, eventTimestamps, stepLagMs: steppedAt.map((at, i) => Math.round(at - eventTimestamps[i]!)), saveStartedAt, savedAt });
      void retention.afterVersion(m.model);
      // With the registry on Kafka the version is in the registry topic already (its checkpoint's transaction);
      // replicas following the models topic load promoted ones from their registry.
      if (m.promotion?.promoted === false) return;
      announcer
        .announce({ model: m.model, version: m.version, artifact: `${m.model}/versions/${m.version}`, parent: m.parent, metrics: m.metrics, createdAt: m.createdAt })
        .catch(warn(`${m.model}@${m.version}`));
    },
  });
  send({ type: 'ready', backend: choice.backend, version: (await store.newest(config.model)) ?? '', skipped: choice.skipped, models });
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    try {
      await fl.close();
      await retention.idle();
      await transactions?.close();
      await announcer.close();
      await publisher?.close();
      await mirror?.close();
      await tracing.shutdown();
      send({ type: 'stopped' });
      process.exit(0);
    } catch (err) {
      send(failure(err, 'stopping: '));
      process.exit(1);
    }
  };
  stopLearning = stop;
  if (!process.connected) void stop();
  // The server handles Ctrl-C and sends `stop`; do not die first.
  process.on('SIGINT', () => undefined);
  fl.done.catch((err: unknown) => {
    send(failure(err));
    process.exit(1);
  });
}

main().catch((err: unknown) => {
  send(failure(err));
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 100).unref();
});
