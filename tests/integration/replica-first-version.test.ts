/**
 * A `serve --follow` replica started on an empty registry (registry.mode kafka)
 * serves a model as soon as its first version is mirrored: `streamtune models
 * create` on another machine is enough, no trainer has to announce anything.
 * Health is checked as a Kubernetes probe would, with grpcurl. A replica started
 * later on another empty directory serves at once, though nothing was announced.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { StreamtuneServer } from '../../src/app/streamtune-server.js';
import { loadConfig } from '../../src/core/index.js';
import { PredictorClient } from '../../src/serving/index.js';
import { grpcurlBin, run } from '../helpers/outside-tools.js';
import { runCli } from '../helpers/processes.js';
import { useTestBackend } from '../helpers/test-backend.js';
import { uniq, waitFor } from '../helpers/wait-for.js';

const brokers = inject('kafkaBrokers').split(',');

describe('a following replica on an empty registry', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  });

  it('becomes SERVING after `models create` with no trainer running, and answers Predict', async () => {
    const backend = await useTestBackend();
    const grpcurl = grpcurlBin();
    const [replicaDir, cliDir] = await Promise.all(['replica', 'cli'].map((n) => fs.mkdtemp(path.join(os.tmpdir(), `st-first-${n}-`))));
    for (const d of [replicaDir!, cliDir!]) cleanup.push(() => fs.rm(d, { recursive: true, force: true }));
    const id = uniq();
    const registry = { mode: 'kafka' as const, topic: `test.first-version.registry.${id}` };
    const kafka = { brokers, labelsTopic: `test.first-version.labels.${id}`, dlqTopic: `test.first-version.dlq.${id}`, modelsTopic: `test.first-version.models.${id}`, groupId: `first-version-${id}` };
    // The scan is off: the mirror's new version alone must bring the model in.
    const config = { model: 'm', backend, registry, kafka, registryDir: replicaDir!, metrics: { port: 0 }, serving: { port: 0, http: { port: 0 }, follow: true, modelScanMs: 0 } };
    const replica = new StreamtuneServer(loadConfig({ overrides: config }), () => undefined);
    await replica.start();
    cleanup.push(() => replica.close());

    const health = async (): Promise<string> => {
      const r = await run(grpcurl, ['-plaintext', '-d', JSON.stringify({ service: 'streamtune.v1.Predictor' }), replica.grpc!.address, 'grpc.health.v1.Health/Check'], { timeoutMs: 30_000 });
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      return (JSON.parse(r.stdout) as { status: string }).status;
    };
    expect(await health()).toBe('NOT_SERVING');

    const created = runCli(['models', 'create', 'm', '--input', 'features:2', '--labels', 'a,b', '--regime', 'supervised'], {
      STREAMTUNE_REGISTRY_DIR: cliDir!,
      STREAMTUNE_REGISTRY_MODE: 'kafka',
      STREAMTUNE_REGISTRY_TOPIC: registry.topic,
      KAFKA_BROKERS: brokers.join(','),
      STREAMTUNE_BACKEND: backend,
    });
    expect({ code: await new Promise((r) => created.child.once('exit', r)), out: created.lines.join('\n') }).toMatchObject({ code: 0 });

    await waitFor('the replica to report SERVING', async () => (await health()) === 'SERVING', 120_000);
    const client = new PredictorClient(replica.grpc!.address);
    cleanup.push(async () => client.close());
    const answer = await client.predict([{ features: [0.2, 0.9] }]);
    expect({ model: answer.model, version: answer.version, labels: answer.predictions.map((p) => ['a', 'b'].includes(p.label)) }).toEqual({ model: 'm', version: 'v1', labels: [true] });

    // A replica started later (or restarted) on another empty directory: nothing was ever announced, it serves at once.
    const laterDir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-first-later-'));
    cleanup.push(() => fs.rm(laterDir, { recursive: true, force: true }));
    const later = new StreamtuneServer(loadConfig({ overrides: { ...config, registryDir: laterDir } }), () => undefined);
    await later.start();
    cleanup.push(() => later.close());
    expect(later.holder.version).toBe('v1');
  }, 300_000);
});
