import { describe, expect, it } from 'vitest';
import type { Config, Logger } from '../../src/core/index.js';
import { freshnessSamples, stageSeconds, FRESHNESS_STAGES } from '../../src/app/freshness-stages.js';
import { ServedModels } from '../../src/app/index.js';
import type { OperatorLog } from '../../src/app/index.js';
import { createMetrics, parseMetricsText, startMetricsServer } from '../../src/ops/index.js';
import type { VersionStore } from '../../src/registry/index.js';
import type { ServedModel } from '../../src/serving/index.js';

describe('freshness stages', () => {
  it("a version message's times become samples: step times from stepLagMs, none when its length does not match", () => {
    const stamps = { eventTimestamps: [1000, 2000], stepLagMs: [50, 70], saveStartedAt: 2500, savedAt: 2600 };
    expect(freshnessSamples(stamps, 2700)).toEqual([
      { ts: 1000, steppedAt: 1050, saveStartedAt: 2500, savedAt: 2600, receivedAt: 2700 },
      { ts: 2000, steppedAt: 2070, saveStartedAt: 2500, savedAt: 2600, receivedAt: 2700 },
    ]);
    expect(freshnessSamples({ ...stamps, stepLagMs: [50] }, 2700).map((s) => s.steppedAt)).toEqual([undefined, undefined]);
    expect(freshnessSamples({}, 1)).toEqual([]);
  });

  it('each stage is the time between its two marks, and the stages add up to the freshness', () => {
    const samples = freshnessSamples({ eventTimestamps: [0, 200], stepLagMs: [100, 20], saveStartedAt: 250, savedAt: 280 }, 281);
    const stages = stageSeconds(samples, 290);
    expect(stages).toEqual({
      queued: [0.1, 0.02],
      checkpoint_wait: [0.15, 0.03],
      save: [0.03, 0.03],
      handoff: [0.001, 0.001],
      swap: [0.009, 0.009],
    });
    for (const [i, s] of samples.entries()) {
      const total = FRESHNESS_STAGES.reduce((sum, stage) => sum + stages[stage][i]!, 0);
      expect(total).toBeCloseTo((290 - s.ts) / 1000, 9);
    }
  });

  it('a stage is never negative (clocks apart, an event stamped after its step), and a sample without the trainer times counts in swap only', () => {
    // Stamped 30 ms after its step, the checkpoint's save "started" before the step and "ended" before it began, heard before it was saved, served before heard.
    const skewed = stageSeconds([{ ts: 130, steppedAt: 100, saveStartedAt: 90, savedAt: 85, receivedAt: 80 }], 70);
    for (const stage of FRESHNESS_STAGES) expect(skewed[stage]).toEqual([0]);
    const old = stageSeconds([{ ts: 0, receivedAt: 500 }], 750);
    expect(old).toEqual({ queued: [], checkpoint_wait: [], save: [], handoff: [], swap: [0.25] });
  });

  it('a swap observes streamtune_freshness_stage_seconds{stage} per sampled event, scraped over HTTP', async () => {
    const metrics = createMetrics();
    const models = new ServedModels({
      config: { model: 'digits' } as Config,
      store: {} as VersionStore,
      metrics,
      operatorLog: {} as OperatorLog,
      logger: { fn: () => undefined } as unknown as Logger,
    });
    const offered: string[] = [];
    const served = { name: 'digits', control: { offer: async (v: string) => void offered.push(v) } } as unknown as ServedModel;
    // Times relative to now, so the swap stage (heard → served, on the server's clock) is at least 2.8 s.
    const now = Date.now();
    const samples = freshnessSamples({ eventTimestamps: [now - 5000, now - 4000], stepLagMs: [1000, 0], saveStartedAt: now - 3000, savedAt: now - 2900 }, now - 2800);
    await models.swapNewest(served, 'v7', samples);
    expect(offered).toEqual(['v7']);

    const srv = await startMetricsServer(metrics.registry, { port: 0 });
    try {
      const res = await fetch(srv.url);
      expect(res.status).toBe(200);
      const scraped = parseMetricsText(await res.text()).filter((s) => s.name.startsWith('streamtune_freshness_stage_seconds'));
      const value = (suffix: string, stage: string): number | undefined => scraped.find((s) => s.name === `streamtune_freshness_stage_seconds${suffix}` && s.labels.stage === stage)?.value;
      for (const stage of FRESHNESS_STAGES) expect({ stage, count: value('_count', stage) }).toEqual({ stage, count: 2 });
      // queued: 1 s and 0 s; checkpoint_wait: 1 s each (both stepped at now - 4 s); save 0.1 s each; handoff 0.1 s each.
      expect(value('_sum', 'queued')).toBeCloseTo(1, 6);
      expect(value('_sum', 'checkpoint_wait')).toBeCloseTo(2, 6);
      expect(value('_sum', 'save')).toBeCloseTo(0.2, 6);
      expect(value('_sum', 'handoff')).toBeCloseTo(0.2, 6);
      expect(value('_sum', 'swap')).toBeGreaterThanOrEqual(5.6);
      // Bucketed: the 0 s queue time is in the smallest bucket, the 1 s one is not.
      expect(scraped.find((s) => s.name === 'streamtune_freshness_stage_seconds_bucket' && s.labels.stage === 'queued' && s.labels.le === '0.01')?.value).toBe(1);
    } finally {
      await srv.close();
    }
  });
});
