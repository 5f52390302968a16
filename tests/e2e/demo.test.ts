import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { runDemo, type DemoSummary } from '../../src/app/demo.js';
import type { StreamtuneServer } from '../../src/app/streamtune-server.js';

describe('the demo, end to end against a real broker', () => {
  let stop: (() => Promise<void>) | undefined;
  let workDir = '';

  afterAll(async () => {
    await stop?.();
    if (workDir) await fs.rm(workDir, { recursive: true, force: true });
  });

  it('batch-trains, serves, learns the streamed events online and hot-swaps versions with zero failed calls', async () => {
    workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-demo-'));
    const logs: string[] = [];
    const demo = await runDemo({
      brokers: inject('kafkaBrokers').split(','),
      workDir,
      grpcPort: 0,
      httpPort: 0,
      metricsPort: 0,
      rate: 1000,
      backend: process.env.STREAMTUNE_BACKEND ?? 'auto',
      log: (l) => logs.push(l),
      timeoutMs: 120_000,
    });
    stop = demo.stop;
    const s: DemoSummary = demo.summary;
    const server: StreamtuneServer = demo.server;

    expect(s.failedCalls).toBe(0);
    expect(s.calls).toBeGreaterThan(100);
    expect(s.swaps).toBeGreaterThanOrEqual(2);
    expect(s.learned).toBe(s.streamed);
    expect(s.rejected).toBe(2);
    // The served version is a descendant of the base that has learned every streamed event.
    const served = server.holder.meta!;
    expect(served.version).not.toBe('v1');
    expect(served.examplesSeen).toBe(300 + s.streamed);
    expect(served.offsets[`${s.labelsTopic}/0`]).toBe(String(s.streamed + 2));
    // Fine-tuning on 1,197 more digits does not make the model worse on held-out digits.
    expect(s.holdoutAccuracyAfter).toBeGreaterThanOrEqual(s.holdoutAccuracyBefore - 0.01);
    expect(s.holdoutAccuracyAfter).toBeGreaterThan(0.9);

    const text = await (await fetch(s.metrics)).text();
    const value = (re: RegExp): number => Number(re.exec(text)?.[1] ?? Number.NaN);
    expect(value(/^streamtune_train_examples_total\{model="digits"\} (\d+)/m)).toBe(s.streamed);
    expect(value(/^streamtune_events_consumed_total\{topic="[^"]+"\} (\d+)/m)).toBe(s.streamed + 2);
    expect(value(/^streamtune_events_rejected_total\{reason="bad_json"\} (\d+)/m)).toBe(1);
    expect(value(/^streamtune_events_rejected_total\{reason="wrong_dimension"\} (\d+)/m)).toBe(1);
    expect(value(/^streamtune_model_swaps_total\{model="digits",result="ok"\} (\d+)/m)).toBe(s.swaps + 1);
    expect(value(/^streamtune_online_accuracy\{model="digits"\} ([\d.]+)/m)).toBeGreaterThan(0.8);
    expect(text).toMatch(/^streamtune_backend_info\{role="training",backend="\w+"\} 1/m);
    expect(logs.some((l) => l.includes('4/4 done'))).toBe(true);
  }, 180_000); // the whole demo: batch training, online learning of every candidate, swaps
});
