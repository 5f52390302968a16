/**
 * `streamtune learn` exports the learning metrics on its own /metrics, as `serve`
 * does when it trains: a real learn process learns events from the real broker,
 * and its /metrics, scraped over HTTP with curl, shows the examples it learned
 * rising; promtool finds nothing wrong in the scrape.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { seededRandom } from '../../src/core/index.js';
import { createKafka, EventProducer } from '../../src/ingest/index.js';
import { DenseClassifier } from '../../src/learners/index.js';
import { VersionStore } from '../../src/registry/index.js';
import { curlBin, run } from '../helpers/outside-tools.js';
import { childPids, runCli } from '../helpers/processes.js';
import { useTestBackend } from '../helpers/test-backend.js';
import { uniq, waitFor } from '../helpers/wait-for.js';

const brokers = inject('kafkaBrokers').split(',');
const PROMTOOL = process.env.PROMTOOL_BIN ?? 'promtool';

function events(n: number, from: number): { id: string; input: { features: number[] }; label: string }[] {
  const rand = seededRandom(from + 5);
  return Array.from({ length: n }, (_, i) => {
    const x = [rand() * 2 - 1, rand() * 2 - 1];
    return { id: `lm-${from + i}`, input: { features: x }, label: x[0]! > x[1]! ? 'a' : 'b' };
  });
}

describe('streamtune learn exports its metrics', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  });

  it('its /metrics shows streamtune_train_examples_total rising while it learns from the broker, and promtool check metrics passes on it', async () => {
    const backend = await useTestBackend();
    const curl = curlBin();
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-learn-metrics-'));
    cleanup.push(() => fs.rm(dir, { recursive: true, force: true }));
    const store = new VersionStore(path.join(dir, 'registry'));
    const seed = new DenseClassifier({ featureSpec: { kind: 'features', dim: 2 }, labels: ['a', 'b'], hiddenUnits: [8] });
    await store.save('m', seed, { parent: null, regime: 'test', backend, examplesSeen: 0, metrics: {}, offsets: {} });
    seed.dispose();
    const id = uniq();
    const kafka = { brokers, labelsTopic: `test.learn-metrics.labels.${id}`, dlqTopic: `test.learn-metrics.dlq.${id}`, modelsTopic: `test.learn-metrics.models.${id}`, groupId: `learn-metrics-${id}` };
    const config = { model: 'm', registryDir: store.root, backend, kafka, metrics: { port: 0 }, training: { maxBatchSize: 10, maxBatchWaitMs: 50, versionEverySteps: 2, versionEveryMs: 500 } };
    await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify(config));
    const learn = runCli(['learn', '--config', path.join(dir, 'config.json')]);
    cleanup.push(async () => {
      // Only while learn runs (not reaped): the pid of an exited one may be another process's now.
      if (learn.child.exitCode === null && learn.child.signalCode === null) for (const pid of childPids(learn.child.pid!)) process.kill(pid, 'SIGKILL');
      learn.child.kill('SIGKILL');
    });
    const logged = (): { event?: string; url?: string }[] => learn.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { event?: string; url?: string });
    await waitFor('learn to serve its metrics and start its trainer', () => logged().some((l) => l.event === 'trainer_up'), 180_000);
    const url = logged().find((l) => l.event === 'metrics_up')!.url!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);

    const scrape = async (): Promise<string> => {
      const r = await run(curl, ['-sS', '--fail', url], { timeoutMs: 30_000 });
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      return r.stdout;
    };
    const learned = (body: string): number => Number(/^streamtune_train_examples_total\{model="m"\} (\d+)$/m.exec(body)?.[1] ?? 0);
    const up = (body: string): string | undefined => /^streamtune_trainer_up\{model="m"\} (\d+)$/m.exec(body)?.[1];

    const producer = new EventProducer(createKafka(brokers), kafka.labelsTopic);
    cleanup.push(() => producer.close());
    await producer.send(events(40, 0));
    await waitFor('the first 40 examples counted', async () => learned(await scrape()) === 40, 120_000);
    await producer.send(events(60, 40));
    await waitFor('the count to rise to 100', async () => learned(await scrape()) === 100, 120_000);

    const body = await scrape();
    expect(up(body)).toBe('1');
    expect(body).toMatch(/^streamtune_train_steps_total\{model="m"\} [1-9]\d*$/m);
    expect(body).toMatch(/^streamtune_events_consumed_total\{topic="test\.learn-metrics\.labels\.[^"]+"\} 100$/m);
    expect(body).toMatch(/^streamtune_backend_info\{role="training",backend="[^"]+"\} 1$/m);
    const check = spawnSync(PROMTOOL, ['check', 'metrics'], { input: body, encoding: 'utf8' });
    expect({ status: check.status, problems: `${check.stdout}${check.stderr}`.split('\n').filter(Boolean) }).toEqual({ status: 0, problems: [] });

    learn.child.kill('SIGTERM');
    const code = learn.child.exitCode ?? (await new Promise((resolve) => learn.child.once('exit', resolve)));
    expect(code).toBe(0);
  }, 480_000);
});
