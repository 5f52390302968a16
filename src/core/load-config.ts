import * as fs from 'node:fs';
import { configSchema, type Config } from './config.js';
import { ConfigError } from './streamtune-error.js';
import { otelEnvTracing } from './tracing-config.js';

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
  STREAMTUNE_REGISTRY_KEEP_VERSIONS: { path: ['registry', 'retention', 'keepVersions'], type: 'number' },
  KAFKA_BROKERS: { path: ['kafka', 'brokers'], type: 'list' },
  STREAMTUNE_KAFKA_SSL: { path: ['kafka', 'ssl', 'enabled'], type: 'boolean' },
  STREAMTUNE_KAFKA_CA_FILE: { path: ['kafka', 'ssl', 'caFile'], type: 'string' },
  STREAMTUNE_KAFKA_CERT_FILE: { path: ['kafka', 'ssl', 'certFile'], type: 'string' },
  STREAMTUNE_KAFKA_KEY_FILE: { path: ['kafka', 'ssl', 'keyFile'], type: 'string' },
  STREAMTUNE_KAFKA_SASL_MECHANISM: { path: ['kafka', 'sasl', 'mechanism'], type: 'string' },
  STREAMTUNE_KAFKA_SASL_USERNAME: { path: ['kafka', 'sasl', 'username'], type: 'string' },
  STREAMTUNE_KAFKA_SASL_PASSWORD: { path: ['kafka', 'sasl', 'password'], type: 'string' },
  STREAMTUNE_KAFKA_SASL_PASSWORD_FILE: { path: ['kafka', 'sasl', 'passwordFile'], type: 'string' },
  STREAMTUNE_GRPC_HOST: { path: ['serving', 'host'], type: 'string' },
  STREAMTUNE_GRPC_PORT: { path: ['serving', 'port'], type: 'number' },
  STREAMTUNE_HTTP_PORT: { path: ['serving', 'http', 'port'], type: 'number' },
  STREAMTUNE_HTTP: { path: ['serving', 'http', 'enabled'], type: 'boolean' },
  STREAMTUNE_METRICS_HOST: { path: ['metrics', 'host'], type: 'string' },
  STREAMTUNE_METRICS_PORT: { path: ['metrics', 'port'], type: 'number' },
  STREAMTUNE_METRICS_ALLOW_PLAINTEXT_NETWORK: { path: ['metrics', 'allowPlaintextNetwork'], type: 'boolean' },
  STREAMTUNE_LABEL_TOKEN: { path: ['labelling', 'token'], type: 'string' },
  STREAMTUNE_LABEL_ALLOW_PLAINTEXT_NETWORK: { path: ['labelling', 'allowPlaintextNetwork'], type: 'boolean' },
  STREAMTUNE_ADMIN_TOKEN: { path: ['serving', 'adminToken'], type: 'string' },
  STREAMTUNE_ALLOW_UNAUTHENTICATED_ADMIN: { path: ['serving', 'allowUnauthenticatedAdmin'], type: 'boolean' },
  STREAMTUNE_GRPC_ALLOW_PLAINTEXT_NETWORK: { path: ['serving', 'allowPlaintextNetwork'], type: 'boolean' },
  STREAMTUNE_TLS_CERT_FILE: { path: ['serving', 'tls', 'certFile'], type: 'string' },
  STREAMTUNE_TLS_KEY_FILE: { path: ['serving', 'tls', 'keyFile'], type: 'string' },
  STREAMTUNE_TLS_CLIENT_CA_FILE: { path: ['serving', 'tls', 'clientCaFile'], type: 'string' },
  STREAMTUNE_KEEP_WARM_VERSIONS: { path: ['serving', 'keepWarmVersions'], type: 'number' },
  STREAMTUNE_BATCHING: { path: ['serving', 'batching', 'enabled'], type: 'boolean' },
  STREAMTUNE_PREDICTION_LOG: { path: ['feedback', 'log', 'enabled'], type: 'boolean' },
  STREAMTUNE_PREDICTION_LOG_SAMPLE_RATE: { path: ['feedback', 'log', 'sampleRate'], type: 'number' },
  STREAMTUNE_FEEDBACK_WINDOW_MS: { path: ['feedback', 'windowMs'], type: 'number' },
  STREAMTUNE_FEEDBACK_METRICS_PORT: { path: ['feedback', 'metricsPort'], type: 'number' },
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
  // OpenTelemetry's standard variables, read as its SDK reads them (over the file, under flags).
  const otel = opts.env ? otelEnvTracing(opts.env) : {};
  if (Object.keys(otel).length > 0) tree = merge(tree, { tracing: otel });
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
