import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { KafkaMessage } from 'kafkajs';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { StreamtuneServer } from '../../src/app/streamtune-server.js';
import { loadConfig, seededRandom } from '../../src/core/index.js';
import { decodeEvent, createKafka, ensureTopics } from '../../src/ingest/index.js';
import { LabellingServer } from '../../src/labelling/index.js';
import { DenseClassifier } from '../../src/learners/index.js';
import { PredictorClient } from '../../src/serving/index.js';
import { useTestBackend } from '../helpers/test-backend.js';
import { uniq, waitFor } from '../helpers/wait-for.js';

const brokers = inject('kafkaBrokers').split(',');
const kafka = createKafka(brokers);
/** The concept the human labeller knows and the untrained model does not. */
const truth = (x: number[]): string => (x[0]! > x[1]! ? 'a' : 'b');
const ITEMS = 10;

describe('the labelling page in a real browser', () => {
  let dir: string;
  let app: StreamtuneServer;
  let labelling: LabellingServer;
  let browser: BrowserContext | undefined;
  let client: PredictorClient;
  const id = uniq();
  const labelsTopic = `test.lab.labels.${id}`;
  const requestsTopic = `test.lab.requests.${id}`;

  beforeAll(async () => {
    const backend = await useTestBackend();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-label-'));
    const config = loadConfig({
      overrides: {
        model: 'm',
        registryDir: dir,
        backend,
        kafka: { brokers, labelsTopic, dlqTopic: `test.lab.dlq.${id}`, groupId: `lab-${id}` },
        serving: { port: 0 },
        metrics: { port: 0 },
        training: { maxBatchSize: 2, maxBatchWaitMs: 50, versionEverySteps: 1, versionEveryMs: 200 },
        // Every answer of the untrained model is uncertain; the budget keeps only the first ITEMS.
        activeLearning: { enabled: true, topic: requestsTopic, threshold: 0.5, budgetPerMinute: ITEMS },
      },
    });
    app = new StreamtuneServer(config, () => {});
    // Seed 5 starts mostly wrong (~20% on the concept), so what the labeller teaches shows.
    const base = new DenseClassifier({ featureSpec: { kind: 'features', dim: 2 }, labels: ['a', 'b'], hiddenUnits: [], learningRate: 0.3, seed: 5 });
    await app.store.save('m', base, { parent: null, regime: 'test', backend, examplesSeen: 0, metrics: {}, offsets: {} });
    base.dispose();
    await ensureTopics(kafka, [{ topic: labelsTopic }]);
    await app.start();
    client = new PredictorClient(app.grpc!.address);
    labelling = new LabellingServer(kafka, { topic: requestsTopic, groupId: `labellers-${id}`, labelsTopic });
    await labelling.start();
  });

  afterAll(async () => {
    await browser?.close();
    client?.close();
    await labelling?.close();
    await app?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('shows uncertain items the server produced; labels clicked or typed reach the labels topic and are learned', async () => {
    const rand = seededRandom(11);
    const point = (): number[] => [Number((rand() * 2 - 1).toFixed(3)), Number((rand() * 2 - 1).toFixed(3))];
    const items = Array.from({ length: ITEMS }, point);
    for (const x of items) await client.predict([{ features: x }]);
    await waitFor(`${ITEMS} label requests published`, () => app.labelRequests!.published >= ITEMS, 20_000);
    expect(await (await fetch(app.metricsUrl)).text()).toMatch(new RegExp(`^streamtune_label_requests_total{outcome="published"} ${ITEMS}$`, 'm'));

    const probe = Array.from({ length: 60 }, point);
    const accuracy = async (): Promise<number> =>
      (await client.predict(probe.map((x) => ({ features: x })))).predictions.filter((p, i) => p.label === truth(probe[i]!)).length / probe.length;
    const before = await accuracy();
    expect(app.labelRequests!.published).toBe(ITEMS); // the probes were over budget

    // A fresh profile per run (playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(path.join(dir, 'chromium-profile'), {
      viewport: { width: 900, height: 560 },
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const page = await browser.newPage();
    await page.goto(labelling.url);
    const seen = new Set<string>();
    for (let n = 0; n < ITEMS; n++) {
      await page.locator('#item').waitFor({ state: 'visible' });
      const meta = (await page.locator('#meta').textContent())!;
      const reqId = /request (\S+)/.exec(meta)![1]!;
      expect(seen.has(reqId)).toBe(false);
      seen.add(reqId);
      const cells = await page.locator('#input td').allTextContents();
      const x = [Number(cells[1]), Number(cells[3])];
      expect(items.some((i) => i[0] === x[0] && i[1] === x[1])).toBe(true);
      expect(await page.locator('#guess').textContent()).toContain('% confident');
      if (n === 0) await page.screenshot({ path: path.join(dir, 'labelling-page.png') });
      const label = truth(x);
      // Half by mouse, half by keyboard shortcut (1 = a, 2 = b).
      if (n % 2 === 0) await page.locator(`#classes button[data-label="${label}"]`).click();
      else await page.keyboard.press(label === 'a' ? '1' : '2');
      await waitFor(
        `request ${reqId} answered and the page moved on`,
        async () => labelling.current().labelled > n && (!(await page.locator('#item').isVisible()) || !((await page.locator('#meta').textContent()) ?? '').includes(reqId)),
        10_000,
      );
    }
    await waitFor('all items labelled', () => labelling.current().labelled === ITEMS, 10_000);
    await page.locator('#empty').waitFor({ state: 'visible' });
    await waitFor('the live view to count every label', async () => ((await page.locator('#stats').textContent()) ?? '').includes(`labelled ${ITEMS}`), 10_000);

    // The labels arrive on the labels topic as label events with the requests' ids.
    const consumer = kafka.consumer({ groupId: `reader-${uniq()}` });
    const got: KafkaMessage[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: labelsTopic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void got.push(message) });
    await waitFor(`${ITEMS} label events`, () => got.length >= ITEMS, 20_000);
    await consumer.disconnect();
    const events = got.map((m) => decodeEvent(m.value));
    expect(new Set(events.map((e) => e.id))).toEqual(seen);
    for (const e of events) expect(e.label).toBe(truth((e.input as { features: number[] }).features));

    await waitFor('a served version that learned the labelled items', () => (app.holder.meta?.examplesSeen ?? 0) >= ITEMS, 30_000);
    const after = await accuracy();
    const stats = labelling.current();
    process.stdout.write(`${JSON.stringify({ labelled: stats.labelled, modelAgreedWithLabeller: stats.accuracy, probeAccuracyBefore: before, probeAccuracyAfter: after })}\n`);
    expect(stats.accuracy).toBeCloseTo(stats.agreed / ITEMS);
    expect(after).toBeGreaterThan(before);
    const copy = process.env.STREAMTUNE_SCREENSHOT_COPY;
    if (copy) await fs.copyFile(path.join(dir, 'labelling-page.png'), copy);
    expect((await fs.stat(path.join(dir, 'labelling-page.png'))).size).toBeGreaterThan(1000);
  });
});
