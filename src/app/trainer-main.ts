/**
 * Entry of the trainer process: online learning runs here, off the serving
 * event loop. It reports stats and new versions to its parent over IPC and
 * stops cleanly (last version saved, offsets committed) on a `stop` message.
 */
import { loadConfig, ModelNotFoundError, selectBackend, type Config } from '../core/index.js';
import { createKafka, readEventsJsonl } from '../ingest/index.js';
import { ensureModelsTopic, ModelAnnouncer, registryPublisher, startRegistryMirror, VersionStore } from '../registry/index.js';
import { startOnlineLearning } from '../training/online-learning.js';
import type { ServerMessage, TrainerMessage } from './trainer-messages.js';
import { featurize, type FeatureSpec } from '../features/index.js';
import { needsConv, SelfTrainingLearner, type Example, type Learner } from '../learners/index.js';

/**
 * Tells the server, if it is still there. The callback takes the error of a send
 * to a parent that just died (EPIPE): without it the error would be emitted on
 * `process` and kill the trainer before it saved.
 */
const send = (m: TrainerMessage): void => {
  if (process.connected) process.send!(m, undefined, {}, () => undefined);
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
  return events.filter((e) => e.label !== null).map((e) => ({ x: featurize(e.input, spec), y: e.label as string | number }));
}

async function main(): Promise<void> {
  const config: Config = loadConfig({ overrides: JSON.parse(process.env.STREAMTUNE_TRAINER_CONFIG ?? '{}') as Record<string, unknown> });
  const store = new VersionStore(config.registryDir);
  const kafka = createKafka(config.kafka.brokers, `${config.kafka.clientId}-trainer`, (line) => send({ type: 'log', line, level: 'warn' }));
  // registry.mode kafka: versions come from the cluster (an empty directory is enough) and go back to it.
  const mirror = await startRegistryMirror(kafka, config, store, { log: (line) => send({ type: 'log', line }) });
  const publisher = registryPublisher(kafka, config, store);
  // Saves cut short by a kill or a full disk left temporary folders: free their space.
  const abandoned = await store.removeAbandoned(config.model);
  if (abandoned.length > 0) send({ type: 'log', line: `removed ${abandoned.length} partial version folder(s) of interrupted saves: ${abandoned.join(', ')}` });
  // The newest checkpoint, even one a crash kept from being marked LATEST.
  const version = await store.newest(config.model);
  if (!version) throw new ModelNotFoundError(`model "${config.model}" has no version in ${config.registryDir}: run \`streamtune train\` first`, { model: config.model });
  // Image and audio models are CNNs: pick a backend with Conv2D gradients before loading.
  const choice = await selectBackend(config.backend, { conv: needsConv((await store.meta(config.model, version)).config) });
  const restored = await store.load(config.model, version);
  const { meta } = restored;
  const learner: Learner =
    config.training.regime === 'self-training' && restored.learner.className !== SelfTrainingLearner.className
      ? new SelfTrainingLearner({ base: { className: restored.learner.className, config: restored.learner.getConfig() }, ...config.training.selfTraining }, restored.learner)
      : restored.learner;
  const regime = config.training.regime === 'self-training' ? 'self-training' : meta.regime.replace(/-(batch|online)$/, '');
  // Completes a publish a crash cut short (same bytes, same keys: harmless otherwise).
  await publisher?.publish(config.model, version);
  await ensureModelsTopic(kafka, config.kafka.modelsTopic);
  const announcer = new ModelAnnouncer(kafka, config.kafka.modelsTopic);
  const ol = await startOnlineLearning({
    kafka,
    model: config.model,
    store,
    learner,
    parent: meta,
    backend: choice.backend,
    regime: `${regime}-online`,
    topics: config.kafka,
    training: config.training,
    holdout: config.training.guardrail.holdoutFile ? await readHoldout(config.training.guardrail.holdoutFile, learner.featureSpec) : undefined,
    onRollback: (r) => {
      send({ type: 'rollback', ...r });
      announcer
        .announce({ model: config.model, version: r.to, artifact: `${config.model}/versions/${r.to}`, parent: null, metrics: {}, createdAt: new Date().toISOString(), action: 'rollback', reason: r.reason })
        .catch((err: unknown) => send({ type: 'log', line: `announcing the rollback failed: ${(err as Error).message}`, level: 'warn' }));
    },
    onStats: (stats) => send({ type: 'stats', stats }),
    onVersion: (m, info) => {
      send({ type: 'version', meta: m, eventTimestamps: info.eventTimestamps });
      // Every replica following the models topic loads it from the shared registry (promoted versions only).
      const published = publisher ? publisher.publish(m.model, m.version) : Promise.resolve();
      if (m.promotion?.promoted === false) {
        published.catch((err: unknown) => send({ type: 'log', line: `publishing ${m.version} failed: ${(err as Error).message}`, level: 'warn' }));
        return;
      }
      published
        .then(() => announcer.announce({
          model: m.model,
          version: m.version,
          artifact: `${m.model}/versions/${m.version}`,
          parent: m.parent,
          metrics: m.metrics,
          createdAt: m.createdAt,
        }))
        .catch((err: unknown) => send({ type: 'log', line: `publishing or announcing ${m.version} failed: ${(err as Error).message}`, level: 'warn' }));
    },
  });
  send({ type: 'ready', backend: choice.backend, version, skipped: choice.skipped });
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    try {
      await ol.close();
      await announcer.close();
      await publisher?.close();
      await mirror?.close();
      ol.trainer.learner.dispose();
      send({ type: 'stopped' });
      process.exit(0);
    } catch (err) {
      send({ type: 'error', message: `stopping: ${(err as Error).message}` });
      process.exit(1);
    }
  };
  stopLearning = stop;
  if (!process.connected) void stop();
  // The server handles Ctrl-C and sends `stop`; do not die first.
  process.on('SIGINT', () => undefined);
  ol.done.catch((err: unknown) => {
    send({ type: 'error', message: (err as Error).message });
    process.exit(1);
  });
}

main().catch((err: unknown) => {
  send({ type: 'error', message: (err as Error).message });
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 100).unref();
});
