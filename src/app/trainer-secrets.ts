import type { Config } from '../core/index.js';

/** Secrets the server hands its trainer over IPC, when the trainer asks. */
export interface TrainerSecrets {
  /** `kafka.sasl.password`, when it was given inline (a `passwordFile` travels as its path). */
  kafkaSaslPassword?: string;
}

/**
 * Variables the trainer never reads (it gets its whole config as JSON) that may
 * hold a secret: kept out of its environment, which any process of the same
 * user can read in /proc/PID/environ, and which crash reporters and `ps e` show.
 */
const SECRET_ENV = ['STREAMTUNE_KAFKA_SASL_PASSWORD', 'STREAMTUNE_ADMIN_TOKEN', 'STREAMTUNE_LABEL_TOKEN'];

/** Set in the trainer's environment when it must ask for {@link TrainerSecrets} before it loads its config. */
export const SECRETS_FLAG = 'STREAMTUNE_TRAINER_SECRETS';

/**
 * How the trainer is launched without a secret in its environment: the config
 * as JSON in STREAMTUNE_TRAINER_CONFIG with an inline SASL password left out
 * (returned in `secrets`, for the IPC channel, which only the two processes
 * share) and the admin and labelling tokens blanked (the server's, not the trainer's); the parent's
 * variables without {@link SECRET_ENV}. Files (`passwordFile`, `keyFile`) travel
 * as paths and the trainer reads them itself.
 *
 * @example
 * const { env, secrets } = trainerLaunch(config, process.env);
 * const child = fork(file, [], { env }); // answers the child's `secrets` request with `secrets`
 */
export function trainerLaunch(config: Config, parentEnv: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; secrets: TrainerSecrets } {
  const env: NodeJS.ProcessEnv = { ...parentEnv };
  for (const k of SECRET_ENV) delete env[k];
  delete env[SECRETS_FLAG];
  const secrets: TrainerSecrets = {};
  let kafka = config.kafka;
  if (kafka.sasl?.password !== undefined) {
    const { password, ...sasl } = kafka.sasl;
    secrets.kafkaSaslPassword = password;
    kafka = { ...kafka, sasl: sasl as typeof kafka.sasl };
    env[SECRETS_FLAG] = 'ipc';
  }
  const shared = { ...config, kafka, serving: { ...config.serving, adminToken: '' }, labelling: { ...config.labelling, token: '' } };
  env.STREAMTUNE_TRAINER_CONFIG = JSON.stringify(shared);
  return { env, secrets };
}

/**
 * In the trainer: its config overrides from the environment, with the secrets
 * {@link trainerLaunch} held back filled in by `ask` (a request to the server).
 */
export async function trainerOverrides(env: NodeJS.ProcessEnv, ask: () => Promise<TrainerSecrets>): Promise<Record<string, unknown>> {
  const overrides = JSON.parse(env.STREAMTUNE_TRAINER_CONFIG ?? '{}') as { kafka?: { sasl?: Record<string, unknown> } };
  if (env[SECRETS_FLAG] !== 'ipc') return overrides;
  const { kafkaSaslPassword } = await ask();
  if (kafkaSaslPassword !== undefined && overrides.kafka?.sasl) overrides.kafka.sasl.password = kafkaSaslPassword;
  return overrides;
}
