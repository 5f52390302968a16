import * as fs from 'node:fs';
import { z } from 'zod';
import { ConfigError } from './streamtune-error.js';

const port = z.number().int().min(0).max(65535);
/** A model name: it names a registry folder, a metric label and a Kafka key (never a path: no leading dot, no slash). */
export const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const modelName = z.string().regex(MODEL_NAME, 'letters, digits, _ . - (max 128)');

/** The `training` section: how the online trainer batches, checkpoints, scores and guards. */
export const trainingSchema = z
  .object({
    /** Learn online from Kafka while serving. */
    enabled: z.boolean().default(true),
    maxBatchSize: z.number().int().min(1).max(4096).default(32),
    maxBatchWaitMs: z.number().int().min(1).default(200),
    /**
     * A trainer of many models: how long a model's events may wait for more of its
     * own before it steps (up to maxBatchSize). 0: each model steps with what each
     * micro-batch brings it. With hundreds of models a micro-batch brings each one
     * or two events, and per-step cost dominates: a wait of ~200 ms makes fewer,
     * larger steps.
     */
    modelBatchWaitMs: z.number().int().min(0).default(0),
    /**
     * Models a trainer may learn (events for others are dead-lettered \`wrong_model\`);
     * empty: every model of the registry (events naming none go to \`model\`).
     */
    models: z.array(modelName).default([]),
    /** A model that got no event for this long is saved and unloaded (bounds memory); 0 keeps models loaded. */
    idleUnloadMs: z.number().int().min(0).default(600_000),
    /** Unacked records before the consumer pauses (bounds memory). */
    maxInFlight: z.number().int().min(1).default(2000),
    /**
     * Cap of the trainer process's V8 old generation in MiB (\`node --max-old-space-size\`):
     * V8 then collects before garbage fills the heap, which keeps RSS flat. The live heap of
     * one digits model is ~90 MiB (dedupe window, replay buffer, kafkajs buffers); each more
     * model loaded adds its own windows, and image inputs make replay examples larger.
     * 0: node's default (sized from the machine's memory).
     */
    maxHeapMb: z
      .number()
      .int()
      .refine((mb) => mb === 0 || (mb >= 64 && mb <= 65_536), 'MiB from 64 to 65536, or 0 for node\'s default')
      .default(512),
    versionEverySteps: z.number().int().min(1).default(20),
    versionEveryMs: z.number().int().min(100).default(1000),
    accuracyWindow: z.number().int().min(1).default(500),
    /** Event ids remembered to drop producer retries; 0 turns deduplication off. */
    dedupeWindow: z.number().int().min(0).default(100_000),
    /** Past examples kept to mix into steps (limits forgetting); 0 turns replay off. */
    replayCapacity: z.number().int().min(0).default(1000),
    /** Replayed examples per new example in a step. */
    replayMixRatio: z.number().min(0).max(4).default(0.25),
    /**
     * Learning regime online: \`as-trained\` keeps the regime of the restored version
     * (\`streamtune train --regime\`); \`self-training\` also pseudo-labels unlabelled events.
     */
    regime: z.enum(['as-trained', 'self-training']).default('as-trained'),
    selfTraining: z
      .object({
        /** Confidence a prediction needs to become a pseudo-label. */
        threshold: z.number().min(0).max(1).default(0.9),
        /** Example weight of a pseudo-label (true labels weigh 1). */
        pseudoWeight: z.number().positive().max(1).default(0.5),
        /** Largest share of pseudo-labels among the examples learned. */
        maxPseudoShare: z.number().min(0).lt(1).default(0.5),
      })
      .strict()
      .prefault({}),
    /** Reaction to drift detected on the prequential error (Page-Hinkley). */
    driftReaction: z.enum(['boost-lr', 'none']).default('boost-lr'),
    /** Learning-rate multiplier while a drift boost lasts. */
    driftBoostFactor: z.number().min(1).max(100).default(3),
    /** Steps a drift boost lasts. */
    driftBoostSteps: z.number().int().min(1).default(50),
    /** Which candidates may serve (see docs/trainer.md). */
    guardrail: z
      .object({
        enabled: z.boolean().default(true),
        /** How much worse (absolute accuracy) a candidate may be than the serving version. */
        tolerance: z.number().min(0).max(1).default(0.02),
        /** Labelled events a comparison needs before it can reject; also the live window after a promotion. */
        minEvents: z.number().int().min(1).default(100),
        /** Drop of the serving version's live accuracy below its level at promotion that rolls serving back. */
        rollbackThreshold: z.number().min(0).max(1).default(0.15),
        /** A trusted labelled JSONL set: candidates are compared on it instead of on the stream. */
        holdoutFile: z.string().default(''),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

/**
 * streamtune's configuration. Every key has a default; units are in the names.
 * Sources, later wins: defaults ← JSON file (`--config`) ← `STREAMTUNE_*` env ← CLI flags.
 */
export const configSchema = z
  .object({
    /** Name of the default model: the one trained by `train`, and the one of calls and events that name none. */
    model: modelName.default('digits'),
    /** Directory of saved versions (shared by trainer and every server replica). */
    registryDir: z.string().min(1).default('.streamtune/registry'),
    /** Where versions are shared between machines (see docs/operations.md, "A registry without a shared disk"). */
    registry: z
      .object({
        /**
         * `dir`: every process reads and writes `registryDir` (one machine, or a shared disk).
         * `kafka`: trainers also publish each version to `registry.topic`, and followers and
         * standby trainers mirror that topic into their own local `registryDir`.
         */
        mode: z.enum(['dir', 'kafka']).default('dir'),
        /** Compacted topic holding every version's files (mode `kafka`). */
        topic: z.string().min(1).default('streamtune.registry'),
        /** Largest piece of a version file in one Kafka record, in bytes (the topic allows 1 MiB). */
        chunkBytes: z.number().int().min(1024).max(1024 * 1024).default(512 * 1024),
      })
      .strict()
      .prefault({}),
    /** TensorFlow.js backend: auto (per model), native, wasm or cpu. */
    backend: z.enum(['auto', 'native', 'tensorflow', 'wasm', 'cpu']).default('auto'),
    kafka: z
      .object({
        /** Bootstrap servers. Empty means: start or reuse the local broker (CLI only). */
        brokers: z.array(z.string().regex(/^[^:\s]+:\d+$/, 'host:port')).default([]),
        clientId: z.string().min(1).default('streamtune'),
        labelsTopic: z.string().min(1).default('streamtune.labels'),
        dlqTopic: z.string().min(1).default('streamtune.dlq'),
        /** Compacted topic where promoted versions are announced to every replica. */
        modelsTopic: z.string().min(1).default('streamtune.models'),
        groupId: z.string().min(1).default('streamtune-trainer'),
        /** How long a dead trainer holds its partitions before a standby takes over (broker minimum 6000). */
        sessionTimeoutMs: z.number().int().min(6000).default(10_000),
      })
      .strict()
      .prefault({}),
    /** Active learning: uncertain served predictions are published as label requests (see docs/labelling.md). */
    activeLearning: z
      .object({
        /** Off by default: publishing inputs to a topic is a choice about where the data goes. */
        enabled: z.boolean().default(false),
        topic: z.string().min(1).default('streamtune.label-requests'),
        strategy: z.enum(['entropy', 'margin']).default('entropy'),
        /** Smallest uncertainty in [0, 1] that is worth a request. */
        threshold: z.number().min(0).max(1).default(0.5),
        budgetPerMinute: z.number().int().min(1).default(30),
        dedupeSize: z.number().int().min(1).default(10_000),
      })
      .strict()
      .prefault({}),
    serving: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: port.default(50051),
        maxInstances: z.number().int().min(1).max(100_000).default(1024),
        maxReceiveMessageBytes: z.number().int().min(1024).default(4 * 1024 * 1024),
        drainTimeoutMs: z.number().int().min(0).default(5000),
        /** Serve versions announced on the models topic (a replica that does not train). */
        follow: z.boolean().default(false),
        /** Models to serve; empty: every model in the registry (and any created later). */
        models: z.array(modelName).default([]),
        /** How often the registry is scanned for models created or removed while serving; 0: only at start. */
        modelScanMs: z.number().int().min(0).default(2000),
        /** Versions kept loaded and warm (current included); a request may name any of them. */
        keepWarmVersions: z.number().int().min(1).max(64).default(2),
        /** Bearer token the ModelAdmin RPCs require. Empty: admin RPCs are refused unless `allowUnauthenticatedAdmin`. */
        adminToken: z.string().default(''),
        /** Accept ModelAdmin RPCs without a token when none is configured (anyone who reaches the port may pin or roll back). */
        allowUnauthenticatedAdmin: z.boolean().default(false),
        /** Serve plaintext on a non-loopback host (e.g. inside a container network). Without TLS and without this, only loopback. */
        allowPlaintextNetwork: z.boolean().default(false),
        /** TLS: server certificate and key (PEM files); with clientCaFile, clients must present a certificate it signed (mTLS). */
        tls: z
          .object({
            certFile: z.string().min(1),
            keyFile: z.string().min(1),
            clientCaFile: z.string().min(1).optional(),
          })
          .strict()
          .optional(),
        /** The Open Inference Protocol (KServe v2) over HTTP/REST, on serving.host with serving.tls. */
        http: z
          .object({
            enabled: z.boolean().default(true),
            /** 0 picks a free port. Triton's HTTP port. */
            port: port.default(8000),
          })
          .strict()
          .prefault({}),
        batching: z
          .object({
            /** Coalesce concurrent Predict calls into one forward pass. */
            enabled: z.boolean().default(true),
            /** Most rows in one forward pass. */
            maxBatchSize: z.number().int().min(1).max(65_536).default(64),
            /** Longest a request waits for others to join; 0 = those that arrived in the same event-loop turn. */
            maxQueueDelayMs: z.number().min(0).max(1000).default(0),
            /** Rows waiting at most; more answers RESOURCE_EXHAUSTED. */
            maxQueueRows: z.number().int().min(1).default(4096),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .superRefine((s, ctx) => {
        const loopback = s.host === '127.0.0.1' || s.host === 'localhost' || s.host === '::1';
        if (!loopback && !s.tls && !s.allowPlaintextNetwork) {
          ctx.addIssue({
            code: 'custom',
            path: ['tls'],
            message: `plaintext gRPC is served on loopback only, and so is REST: set serving.tls (certFile, keyFile) to serve on "${s.host}", or serving.allowPlaintextNetwork=true`,
          });
        }
      })
      .prefault({}),
    metrics: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: port.default(9464),
        /** How often the server asks the broker for the trainer group's lag (streamtune_consumer_lag_messages). */
        consumerLagIntervalMs: z.number().int().min(100).default(5000),
      })
      .strict()
      .prefault({}),
    training: trainingSchema,
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type KafkaConfig = Config['kafka'];
export type TrainingConfig = Config['training'];
export type RegistryConfig = Config['registry'];

/**
 * The training section with every default filled in from the schema (the only
 * place defaults are written), for code that runs a trainer without a whole config.
 *
 * @example
 * trainingConfig({ versionEverySteps: 5 }).maxBatchSize; // 32
 */
export function trainingConfig(input: z.input<typeof trainingSchema> = {}): TrainingConfig {
  const parsed = trainingSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(['training', ...issue.path].join('.'), issue.message);
  }
  return parsed.data;
}
type Tree = { [k: string]: unknown };

function setPath(obj: Tree, path: string[], value: unknown): void {
  let o = obj;
  for (const k of path.slice(0, -1)) o = (o[k] ??= {}) as Tree;
  o[path.at(-1)!] = value;
}

/** Environment variables read, and the key each sets. */
export const ENV_KEYS: Record<string, { path: string[]; type: 'string' | 'number' | 'boolean' | 'list' }> = {
  STREAMTUNE_MODEL: { path: ['model'], type: 'string' },
  STREAMTUNE_MODELS: { path: ['serving', 'models'], type: 'list' },
  STREAMTUNE_REGISTRY_DIR: { path: ['registryDir'], type: 'string' },
  STREAMTUNE_BACKEND: { path: ['backend'], type: 'string' },
  STREAMTUNE_REGISTRY_MODE: { path: ['registry', 'mode'], type: 'string' },
  STREAMTUNE_REGISTRY_TOPIC: { path: ['registry', 'topic'], type: 'string' },
  KAFKA_BROKERS: { path: ['kafka', 'brokers'], type: 'list' },
  STREAMTUNE_GRPC_HOST: { path: ['serving', 'host'], type: 'string' },
  STREAMTUNE_GRPC_PORT: { path: ['serving', 'port'], type: 'number' },
  STREAMTUNE_HTTP_PORT: { path: ['serving', 'http', 'port'], type: 'number' },
  STREAMTUNE_HTTP: { path: ['serving', 'http', 'enabled'], type: 'boolean' },
  STREAMTUNE_METRICS_HOST: { path: ['metrics', 'host'], type: 'string' },
  STREAMTUNE_METRICS_PORT: { path: ['metrics', 'port'], type: 'number' },
  STREAMTUNE_ADMIN_TOKEN: { path: ['serving', 'adminToken'], type: 'string' },
  STREAMTUNE_ALLOW_UNAUTHENTICATED_ADMIN: { path: ['serving', 'allowUnauthenticatedAdmin'], type: 'boolean' },
  STREAMTUNE_GRPC_ALLOW_PLAINTEXT_NETWORK: { path: ['serving', 'allowPlaintextNetwork'], type: 'boolean' },
  STREAMTUNE_TLS_CERT_FILE: { path: ['serving', 'tls', 'certFile'], type: 'string' },
  STREAMTUNE_TLS_KEY_FILE: { path: ['serving', 'tls', 'keyFile'], type: 'string' },
  STREAMTUNE_TLS_CLIENT_CA_FILE: { path: ['serving', 'tls', 'clientCaFile'], type: 'string' },
  STREAMTUNE_KEEP_WARM_VERSIONS: { path: ['serving', 'keepWarmVersions'], type: 'number' },
  STREAMTUNE_BATCHING: { path: ['serving', 'batching', 'enabled'], type: 'boolean' },
};

function coerce(key: string, raw: string, type: 'string' | 'number' | 'boolean' | 'list'): unknown {
  if (type === 'list') return raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (type === 'boolean') return raw === 'true' || raw === '1';
  if (type === 'number') {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n)) throw new ConfigError(key, `"${raw}" is not a number`);
    return n;
  }
  return raw;
}

/**
 * Builds the configuration and fails at start with the offending key named.
 *
 * @example
 * loadConfig({ env: process.env, overrides: { serving: { port: 0 } } });
 */
export function loadConfig(opts: { file?: string; env?: NodeJS.ProcessEnv; overrides?: Tree } = {}): Config {
  let tree: Tree = {};
  if (opts.file) {
    try {
      tree = JSON.parse(fs.readFileSync(opts.file, 'utf8')) as Tree;
    } catch (err) {
      throw new ConfigError('--config', `cannot read ${opts.file}: ${(err as Error).message}`);
    }
  }
  for (const [name, { path, type }] of Object.entries(ENV_KEYS)) {
    const raw = opts.env?.[name];
    if (raw !== undefined && raw !== '') setPath(tree, path, coerce(name, raw, type));
  }
  tree = merge(tree, opts.overrides ?? {});
  const parsed = configSchema.safeParse(tree);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(issue.path.join('.') || '(root)', issue.message);
  }
  return parsed.data;
}

function merge(a: Tree, b: Tree): Tree {
  const out: Tree = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (v === undefined) continue;
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && out[k] && typeof out[k] === 'object' ? merge(out[k] as Tree, v as Tree) : v;
  }
  return out;
}
