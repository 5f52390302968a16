import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureLocalBroker, stopLocalBroker } from '../../src/cli/local-broker.js';

/** A broker of this test file alone (own run dir and ports), so it may be stopped: never the shared one. */
export interface PrivateBroker {
  brokers: string[];
  /** Stops it (SIGTERM), keeping its data. */
  stop(): Promise<void>;
  /** Starts it again on the same ports and data. */
  start(): Promise<void>;
  /** Stops it and deletes its data. */
  destroy(): Promise<void>;
}

/**
 * Starts a broker with `scripts/kafka.sh` on free ports below the ephemeral range;
 * `env` adds settings of the script (e.g. KAFKA_SASL_SSL=1 and its keystores).
 */
export async function startPrivateBroker(tag: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<PrivateBroker> {
  const runDir = await fs.mkdtemp(path.join(os.tmpdir(), `st-broker-${tag}-`));
  let lastError: unknown;
  for (let attempt = 0; attempt < 4; attempt++) {
    // 21000-28998, clear of the shared (19092), CI (19192) and test (29092) brokers.
    const port = 21_000 + 2 * Math.floor(Math.random() * 4000);
    const env = { ...process.env, ...extraEnv, KAFKA_RUN_DIR: runDir, KAFKA_PORT: String(port), KAFKA_CONTROLLER_PORT: String(port + 1) };
    try {
      const brokers = await ensureLocalBroker(env);
      return {
        brokers,
        stop: () => stopLocalBroker(env),
        start: async () => void (await ensureLocalBroker(env)),
        destroy: async () => {
          await stopLocalBroker(env, true);
          await fs.rm(runDir, { recursive: true, force: true });
        },
      };
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}
