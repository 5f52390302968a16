import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { seededRandom } from '../../src/core/index.js';
import { createKafka, ensureTopics, EventProducer } from '../../src/ingest/index.js';
import { DenseClassifier } from '../../src/learners/index.js';
import { VersionStore } from '../../src/registry/index.js';
import { alive, childPids, killSame, runCli, startTime } from '../helpers/processes.js';
import { useTestBackend } from '../helpers/test-backend.js';
import { uniq, waitFor } from '../helpers/wait-for.js';

const brokers = inject('kafkaBrokers').split(',');

function events(n: number, from: number): { id: string; input: { features: number[] }; label: string }[] {
  const rand = seededRandom(from + 3);
  return Array.from({ length: n }, (_, i) => {
    const x = [rand() * 2 - 1, rand() * 2 - 1, rand() * 2 - 1];
    return { id: `o-${from + i}`, input: { features: x }, label: x[0]! > 0 ? 'p' : 'q' };
  });
}

describe('an orphaned trainer (issue 11, D4)', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  });

  it('kill -9 of `streamtune serve` while events flow: its trainer saves what it learned as a last version and exits, without an EPIPE crash', async () => {
    const backend = await useTestBackend();
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-orphan-'));
    cleanup.push(() => fs.rm(dir, { recursive: true, force: true }));
    const store = new VersionStore(dir);
    const base = new DenseClassifier({ featureSpec: { kind: 'features', dim: 3 }, labels: ['p', 'q'], hiddenUnits: [8] });
    await store.save('m', base, { parent: null, regime: 'test', backend, examplesSeen: 0, metrics: {}, offsets: {} });
    base.dispose();
    const id = uniq();
    const labels = `test.orphan.labels.${id}`;
    const kafka = createKafka(brokers);
    await ensureTopics(kafka, [{ topic: labels }]);
    // No checkpoint while it runs: the only version after the base is the one saved on the way out.
    const config = {
      model: 'm',
      registryDir: dir,
      backend,
      kafka: { brokers, labelsTopic: labels, dlqTopic: `test.orphan.dlq.${id}`, groupId: `orphan-${id}`, sessionTimeoutMs: 6000 },
      serving: { port: 0, http: { port: 0 } },
      metrics: { port: 0 },
      training: { maxBatchSize: 5, maxBatchWaitMs: 10, versionEverySteps: 1_000_000, versionEveryMs: 3_600_000 },
    };
    await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify(config));
    const { child: serve, lines } = runCli(['serve', '--config', path.join(dir, 'config.json')]);
    cleanup.push(async () => serve.kill('SIGKILL'));
    await waitFor('the trainer to consume', () => lines.some((l) => l.includes('trainer consuming')), 120_000);
    const [trainerPid] = childPids(serve.pid!);
    expect(trainerPid).toBeGreaterThan(0);
    // The trainer is serve's child, not this process's: its pid may belong to another process by the time of the clean-up.
    const trainerStarted = startTime(trainerPid!);
    cleanup.push(async () => killSame(trainerPid!, trainerStarted, 'SIGKILL'));
    const metricsUrl = /metrics on (http:\S+?)"/.exec(lines.find((l) => l.includes('metrics on'))!)![1]!;
    const learned = async (): Promise<number> => Number(/^streamtune_train_examples_total\{[^}]*\} (\d+)/m.exec(await (await fetch(metricsUrl)).text())?.[1] ?? 0);

    // Events keep flowing while serve is killed, so the trainer is mid-step and sending stats.
    const producer = new EventProducer(kafka, labels);
    let sent = 0;
    let producing = true;
    const flow = (async () => {
      while (producing) {
        await producer.send(events(10, sent));
        sent += 10;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await waitFor('the trainer to learn', async () => (await learned()) >= 50, 90_000);
    serve.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 1000));
    producing = false;
    await flow;
    await producer.close();

    await waitFor('the orphaned trainer to exit', () => !alive(trainerPid!), 90_000);
    const errors = lines.filter((l) => /EPIPE|Unhandled|uncaught|Error:/i.test(l)).map((l) => l.slice(0, 200));
    expect(errors).toEqual([]);
    expect(await store.list('m')).toEqual(['v1', 'v2']);
    const last = await store.meta('m', 'v2');
    expect(last.parent).toBe('v1');
    expect(last.examplesSeen).toBeGreaterThanOrEqual(50);
    expect(Number(last.offsets[`${labels}/0`])).toBe(last.examplesSeen);
  }, 360_000);
});
