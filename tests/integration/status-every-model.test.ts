/**
 * A server of two models, as a user runs it: `streamtune serve` names the model each
 * swap brought in, and `streamtune status` reports every model it serves.
 */
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DenseClassifier } from '../../src/learners/index.js';
import { runCli } from '../helpers/processes.js';
import { run } from '../helpers/outside-tools.js';
import { startServingFixture, type ServingFixture } from '../helpers/serving-fixture.js';
import { waitFor } from '../helpers/wait-for.js';
import * as path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

describe('serve and status with two models', { timeout: 240_000 }, () => {
  let fx: ServingFixture;

  beforeAll(async () => {
    // "m" (the default, v1) and "other" (v1, v2).
    fx = await startServingFixture({
      versions: 1,
      beforeStart: async (store, backend) => {
        for (let i = 1; i <= 2; i++) {
          const l = new DenseClassifier({ featureSpec: { kind: 'features', dim: 3 }, labels: ['x', 'y'], hiddenUnits: [], seed: i });
          await store.save('other', l, { parent: i > 1 ? `v${i - 1}` : null, regime: 'test', backend, examplesSeen: 10 * i, metrics: {}, offsets: {} });
          l.dispose();
        }
      },
    });
  });

  afterAll(async () => {
    await fx?.close();
  });

  it('serve logs each swap under the model that swapped', async () => {
    const { child, lines } = runCli(['serve', '--registry', fx.dir, '--model', 'm', '--no-learn', '--port', '0', '--http-port', '0', '--metrics-port', '0', '--backend', 'cpu'], { KAFKA_BROKERS: '' });
    try {
      await waitFor('both models swapped in', () => lines.filter((l) => l.startsWith('swapped in ')).length >= 2, 120_000);
      expect(lines.filter((l) => l.startsWith('swapped in ')).sort()).toEqual(['swapped in m@v1 (parent -)', 'swapped in other@v2 (parent v1)']);
    } finally {
      child.kill('SIGINT');
      await once(child, 'exit');
    }
  });

  it('status reports every served model, the default first; --model one of them', async () => {
    const address = fx.app.grpc!.address;
    const env = { ...process.env };
    delete env.STREAMTUNE_ADMIN_TOKEN;
    const status = (...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> =>
      run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts'), 'status', '--address', address, '--metrics-url', fx.app.metricsUrl, ...args], { env, cwd: ROOT, timeoutMs: 120_000 });
    const json = await status('--json');
    expect({ status: json.status, stderr: json.stderr }).toEqual({ status: 0, stderr: '' });
    const all = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { model: string; version: string; examplesSeen: number });
    expect(all.map((s) => [s.model, s.version, s.examplesSeen])).toEqual([
      ['m', 'v1', 1],
      ['other', 'v2', 20],
    ]);
    const text = await status();
    expect(text.stdout.match(/^model\s+\S+$/gm)).toEqual(['model            m', 'model            other']);
    const one = await status('--json', '--model', 'other');
    expect(one.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { model: string }).model)).toEqual(['other']);
  });
});
