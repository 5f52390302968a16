import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { StreamtuneServer } from '../../src/app/streamtune-server.js';
import { loadConfig, type ConfigInput } from '../../src/core/index.js';
import { DenseClassifier } from '../../src/learners/index.js';
import type { VersionStore } from '../../src/registry/index.js';
import { useTestBackend } from './test-backend.js';

export interface ServingFixture {
  app: StreamtuneServer;
  dir: string;
  backend: string;
  close(): Promise<void>;
}

/**
 * A StreamtuneServer on free loopback ports (gRPC, REST, metrics), no trainer, over
 * a fresh registry holding `versions` saved versions of a small classifier (model
 * "m", 4 features or hashed text, labels a/b/c unless `model`, `dim` and `labels`
 * say otherwise); LATEST is v1 unless `latest` says otherwise.
 */
export async function startServingFixture(
  opts: {
    versions?: number;
    kind?: 'features' | 'text';
    latest?: string;
    serving?: ConfigInput['serving'];
    model?: string;
    dim?: number;
    labels?: string[];
    /** Fills the registry further (more models) before the server starts. */
    beforeStart?: (store: VersionStore, backend: string) => Promise<void>;
  } = {},
): Promise<ServingFixture> {
  const model = opts.model ?? 'm';
  const backend = await useTestBackend();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-serving-'));
  const config = loadConfig({
    overrides: { model, registryDir: dir, backend, serving: { port: 0, http: { port: 0 }, ...opts.serving }, metrics: { port: 0 }, training: { enabled: false } },
  });
  const app = new StreamtuneServer(config, () => undefined);
  const featureSpec = opts.kind === 'text' ? ({ kind: 'text', dim: opts.dim ?? 32 } as const) : ({ kind: 'features', dim: opts.dim ?? 4 } as const);
  for (let i = 1; i <= (opts.versions ?? 3); i++) {
    const l = new DenseClassifier({ featureSpec, labels: opts.labels ?? ['a', 'b', 'c'], hiddenUnits: [8], seed: i });
    await app.store.save(model, l, { parent: i > 1 ? `v${i - 1}` : null, regime: 'test', backend, examplesSeen: i, metrics: { holdoutAccuracy: i / 10 }, offsets: {} });
    l.dispose();
  }
  await fs.writeFile(path.join(dir, model, 'LATEST'), opts.latest ?? 'v1');
  await opts.beforeStart?.(app.store, backend);
  await app.start();
  return {
    app,
    dir,
    backend,
    close: async () => {
      await app.close();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
