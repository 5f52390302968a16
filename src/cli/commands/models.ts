import { createModel } from '../../app/index.js';
import { ConfigError, loadConfig, selectBackend, type Config } from '../../core/index.js';
import { TASKS, type Task } from '../../learners/index.js';
import { ModelAnnouncer, registryPublisher, unpublishModel, VersionStore } from '../../registry/index.js';
import { createKafka } from '../../ingest/index.js';
import { type Command, commonOverrides } from '../args.js';
import { callRpc, defaultAddress } from '../admin-client.js';
import { UsageError } from '../cli-failure.js';
import { usableBrokers } from '../local-broker.js';

const ACTIONS = {
  list: ['streamtune.v1.Predictor', 'ListVersions'],
  pin: ['streamtune.v1.ModelAdmin', 'Pin'],
  unpin: ['streamtune.v1.ModelAdmin', 'Unpin'],
  rollback: ['streamtune.v1.ModelAdmin', 'Rollback'],
} as const;
/** Older spellings that still work: `versions` (from `streamtune admin versions`). */
const SYNONYMS: Record<string, keyof typeof ACTIONS> = { versions: 'list' };
/** Actions on the registry itself (no server needed): servers and trainers pick the change up while running. */
const REGISTRY_ACTIONS = ['create', 'delete', 'names'] as const;

/**
 * `streamtune models`: the ModelAdmin RPCs and the version list. `streamtune admin`
 * is the same command under its older name (same help, same actions).
 */
export const modelsCommand: Command = {
  name: 'models',
  usage: `Usage: streamtune models (list | pin VERSION | unpin | rollback [--reason TEXT]) [--address HOST:PORT] [--model NAME]
       streamtune models create NAME --input features:N|text[:N][,pairs][,chars=MIN-MAX]|image[:WxHxC]|audio[:RATE,FRAMES,MELS]
                                     (--labels A,B,… | --task regression | --task spans --labels PER,LOC
                                      | --task boxes|keypoints --labels A,B,… with --input image:WxHxC)
                                     [--regime auto|supervised|self-training]
                                     [--candidates linear,mlp,…] [--registry DIR]
       streamtune models delete NAME [--registry DIR]
       streamtune models names [--registry DIR]

create, delete and names act on the registry directory: a model created there (or by
\`streamtune train --model NAME\`) is served and learned by running servers and trainers
within a scan (serving.modelScanMs, 2 s by default) without a restart; a deleted one stops
being served likewise. Label events name their model in their "model" field (records keyed
by model, so one trainer of the group learns each model). With registry.mode kafka, create
publishes the model to the registry topic and delete tombstones every record of it there
(and its announcement), so every mirror removes it; stop sending its events first.

Sends the admin token from STREAMTUNE_ADMIN_TOKEN as "authorization: Bearer <token>"
(the server refuses admin calls when it has no token configured, unless it was
started with serving.allowUnauthenticatedAdmin).
Prints the JSON answer. (\`streamtune admin\` is the older name of this command.)

Example:
  STREAMTUNE_ADMIN_TOKEN=… streamtune models rollback --reason "accuracy dropped" --address 127.0.0.1:50051`,
  options: {
    address: { type: 'string' },
    reason: { type: 'string' },
    input: { type: 'string' },
    labels: { type: 'string' },
    task: { type: 'string' },
    regime: { type: 'string' },
    candidates: { type: 'string' },
  },
  async run(values, positionals) {
    const [given, version] = positionals;
    if ((REGISTRY_ACTIONS as readonly string[]).includes(given ?? '')) return registryAction(given as (typeof REGISTRY_ACTIONS)[number], version, values);
    const action = given && (given in ACTIONS ? (given as keyof typeof ACTIONS) : SYNONYMS[given]);
    if (!action) throw new UsageError(`${given ? `unknown action "${given}": ` : ''}give one of: ${[...Object.keys(ACTIONS), ...REGISTRY_ACTIONS].join(', ')}`);
    if (action === 'pin' && !version) throw new UsageError('pin needs the version, e.g. `streamtune models pin v3`');
    const [service, method] = ACTIONS[action];
    const req = { model: (values.model as string | undefined) ?? '', ...(action === 'pin' ? { version } : {}), ...(action === 'rollback' ? { reason: values.reason ?? '' } : {}) };
    const address = (values.address as string | undefined) ?? defaultAddress();
    process.stdout.write(`${JSON.stringify(await callRpc(address, service, method, req))}\n`);
    return 0;
  },
};

/** The older name: the same command object, so help and actions cannot drift apart. */
export const adminCommand = modelsCommand;

/** `models create|delete|names`: changes to the registry directory; prints one JSON line. */
async function registryAction(action: (typeof REGISTRY_ACTIONS)[number], name: string | undefined, values: Record<string, string | boolean | undefined>): Promise<number> {
  const config = loadConfig({ file: values.config as string | undefined, env: process.env, overrides: commonOverrides(values) });
  const store = new VersionStore(config.registryDir);
  const print = (o: unknown): number => {
    process.stdout.write(`${JSON.stringify(o)}\n`);
    return 0;
  };
  if (action === 'names') return print({ registry: config.registryDir, models: await store.models() });
  if (!name) throw new UsageError(`${action} needs the model's name, e.g. \`streamtune models ${action} churn\``);
  const model = loadConfig({ overrides: { model: name } }).model;
  if (action === 'delete') {
    if (config.registry.mode === 'kafka') return print(await deleteFromTopic(config, model, store));
    if (!(await store.remove(model))) throw new ConfigError('NAME', `model "${model}" is not in ${config.registryDir}`);
    return print({ model, deleted: true, registry: config.registryDir });
  }
  if (typeof values.input !== 'string') throw new ConfigError('--input', 'give the model\'s input, e.g. --input features:8 or --input text');
  const task = (values.task ?? 'classification') as Task;
  if (!TASKS.includes(task)) throw new ConfigError('--task', `"${task}" is not one of ${TASKS.join(', ')}`);
  const labels = typeof values.labels === 'string' ? values.labels.split(',').map((s) => s.trim()).filter(Boolean) : [];
  if (task === 'regression' && labels.length > 0) throw new ConfigError('--labels', 'a regression model has no labels');
  if (config.registry.mode === 'kafka') {
    if (config.kafka.brokers.length === 0) throw new ConfigError('kafka.brokers', 'registry.mode kafka publishes the new model to the cluster: give --brokers or KAFKA_BROKERS');
    // Brokers that do not answer, or refuse the login, are one line before the model is made.
    await usableBrokers(config.kafka);
  }
  const { backend } = await selectBackend(config.backend, { conv: /^(image|audio)/.test(values.input) });
  const meta = await createModel({
    store,
    model,
    input: values.input,
    task,
    labels,
    regime: values.regime as Parameters<typeof createModel>[0]['regime'],
    auto: typeof values.candidates === 'string' ? { candidates: values.candidates.split(',').map((s) => s.trim()).filter(Boolean) } : undefined,
    backend,
  });
  // registry.mode kafka: the new model reaches every trainer and replica through the registry topic.
  if (config.registry.mode === 'kafka') {
    const publisher = registryPublisher(createKafka(config.kafka, `${config.kafka.clientId}-models`), config, store)!;
    try {
      await publisher.publish(model, meta.version);
    } finally {
      await publisher.close();
    }
  }
  return print({ model, version: meta.version, task, labels, input: meta.description.inputKind, regime: meta.regime, registry: config.registryDir, ...(config.registry.mode === 'kafka' ? { published: config.registry.topic } : {}) });
}

/**
 * `models delete` in registry.mode kafka: tombstones every record of the model on
 * the registry topic (mirrors remove it) and its announcement on the models
 * topic (replicas starting later never learn of it); removes it here too.
 */
async function deleteFromTopic(config: Config, model: string, store: VersionStore): Promise<Record<string, unknown>> {
  if (config.kafka.brokers.length === 0) throw new ConfigError('kafka.brokers', 'registry.mode kafka deletes the model from the cluster: give --brokers or KAFKA_BROKERS');
  // Brokers that do not answer, or refuse the login, are one line before anything is deleted.
  await usableBrokers(config.kafka);
  const kafka = createKafka(config.kafka, `${config.kafka.clientId}-models`);
  const { tombstones, versions } = await unpublishModel(kafka, config.registry.topic, model);
  const here = await store.remove(model);
  if (versions.length === 0 && !here) throw new ConfigError('NAME', `model "${model}" is not on ${config.registry.topic} nor in ${config.registryDir}`);
  // Only a models topic that exists holds an announcement (deleting is no reason to create one).
  const admin = kafka.admin();
  await admin.connect();
  const announced = await admin.listTopics().finally(() => admin.disconnect());
  if (announced.includes(config.kafka.modelsTopic)) {
    const announcer = new ModelAnnouncer(kafka, config.kafka.modelsTopic);
    await announcer.withdraw(model).finally(() => announcer.close());
  }
  return { model, deleted: true, registry: config.registryDir, topic: config.registry.topic, versions: versions.length, tombstones };
}
