import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { KafkaMessage } from 'kafkajs';
import { chromium, type BrowserContext, type Locator } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { StreamtuneServer } from '../../src/app/streamtune-server.js';
import { loadConfig, seededRandom } from '../../src/core/index.js';
import { decodeEvent, createKafka, ensureTopics } from '../../src/ingest/index.js';
import { LabellingServer, type LabelRequest } from '../../src/labelling/index.js';
import { DenseClassifier } from '../../src/learners/index.js';
import { PredictorClient } from '../../src/serving/index.js';
import { useTestBackend } from '../helpers/test-backend.js';
import { uniq, waitFor } from '../helpers/wait-for.js';

const brokers = inject('kafkaBrokers').split(',');
const kafka = createKafka(brokers);
/** The concept the human labeller knows and the untrained model does not. */
const truth = (x: number[]): string => (x[0]! > x[1]! ? 'a' : 'b');
const ITEMS = 10;
/** The parts of the page's elements the test reads (the test is compiled without the DOM library). */
type Img = { complete: boolean; naturalWidth: number; naturalHeight: number; width: number; className: string };
type Audio = { readyState: number; duration: number };
/** An <img> once loaded: its natural and drawn size and class. */
async function loadedImage(img: Locator, what: string): Promise<{ natural: [number, number]; width: number; className: string }> {
  const read = (): Promise<Img> => img.evaluate((e) => {
    const i = e as unknown as Img;
    return { complete: i.complete, naturalWidth: i.naturalWidth, naturalHeight: i.naturalHeight, width: i.width, className: i.className };
  });
  await waitFor(`${what} to load`, async () => {
    const i = await read();
    return i.complete && i.naturalWidth > 0;
  }, 45_000);
  const i = await read();
  return { natural: [i.naturalWidth, i.naturalHeight], width: i.width, className: i.className };
}
/** Where the screenshots are copied for the docs (docs/img), when set. */
const SCREENSHOT_DIR = process.env.STREAMTUNE_SCREENSHOT_DIR;

/** Debian's Chromium through playwright-core, a fresh profile per run (passed as --user-data-dir). */
function launchBrowser(profileDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    viewport: { width: 900, height: 560 },
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Every message on a topic from the start, until `n` have arrived. */
async function readTopic(topic: string, n: number): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: `reader-${uniq()}` });
  const got: KafkaMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void got.push(message) });
  await waitFor(`${n} messages on ${topic}`, () => got.length >= n, 45_000);
  await consumer.disconnect();
  return got;
}

/** A 32×32 grey PNG of diagonal stripes: small, so the page must scale it up to be seen. */
function stripesPng(): Buffer {
  const png = new PNG({ width: 32, height: 32 });
  for (let y = 0; y < 32; y++) {
    for (let x = 0; x < 32; x++) {
      const v = (x + y) % 8 < 4 ? 30 : 225;
      png.data.set([v, v, v, 255], (y * 32 + x) * 4);
    }
  }
  return PNG.sync.write(png);
}

/** 1.2 s of 16 kHz mono PCM: a 440 Hz tone, then a chirp up to 3.4 kHz. */
function chirpWav(): Buffer {
  const sr = 16_000;
  const n = Math.round(1.2 * sr);
  const b = Buffer.alloc(44 + n * 2);
  b.write('RIFF', 0, 'latin1');
  b.writeUInt32LE(36 + n * 2, 4);
  b.write('WAVEfmt ', 8, 'latin1');
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20); // PCM
  b.writeUInt16LE(1, 22); // mono
  b.writeUInt32LE(sr, 24);
  b.writeUInt32LE(sr * 2, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36, 'latin1');
  b.writeUInt32LE(n * 2, 40);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    const t = i / sr;
    phase += (2 * Math.PI * (t < 0.6 ? 440 : 440 + 3000 * ((t - 0.6) / 0.6))) / sr;
    b.writeInt16LE(Math.round(0.5 * Math.sin(phase) * 32767), 44 + i * 2);
  }
  return b;
}

describe('the labelling page in a real browser', { timeout: 300_000 }, () => {
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
        serving: { port: 0, http: { port: 0 } },
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
    await waitFor(`${ITEMS} label requests published`, () => app.labelRequests!.published >= ITEMS, 45_000);
    expect(await (await fetch(app.metricsUrl)).text()).toMatch(new RegExp(`^streamtune_label_requests_total{outcome="published"} ${ITEMS}$`, 'm'));

    const probe = Array.from({ length: 60 }, point);
    const accuracy = async (): Promise<number> =>
      (await client.predict(probe.map((x) => ({ features: x })))).predictions.filter((p, i) => p.label === truth(probe[i]!)).length / probe.length;
    const before = await accuracy();
    expect(app.labelRequests!.published).toBe(ITEMS); // the probes were over budget

    browser ??= await launchBrowser(path.join(dir, 'chromium-profile'));
    const page = await browser.newPage();
    await page.goto(labelling.loginUrl);
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
        30_000,
      );
    }
    await waitFor('all items labelled', () => labelling.current().labelled === ITEMS, 30_000);
    await page.locator('#empty').waitFor({ state: 'visible' });
    await waitFor('the live view to count every label', async () => ((await page.locator('#stats').textContent()) ?? '').includes(`labelled ${ITEMS}`), 30_000);

    // The labels arrive on the labels topic as label events with the requests' ids.
    const events = (await readTopic(labelsTopic, ITEMS)).map((m) => decodeEvent(m.value));
    expect(new Set(events.map((e) => e.id))).toEqual(seen);
    for (const e of events) expect(e.label).toBe(truth((e.input as { features: number[] }).features));

    await waitFor('a served version that learned the labelled items', () => (app.holder.meta?.examplesSeen ?? 0) >= ITEMS, 90_000);
    const after = await accuracy();
    const stats = labelling.current();
    process.stdout.write(`${JSON.stringify({ labelled: stats.labelled, modelAgreedWithLabeller: stats.accuracy, probeAccuracyBefore: before, probeAccuracyAfter: after })}\n`);
    expect(stats.accuracy).toBeCloseTo(stats.agreed / ITEMS);
    expect(after).toBeGreaterThan(before);
    if (SCREENSHOT_DIR) await fs.copyFile(path.join(dir, 'labelling-page.png'), path.join(SCREENSHOT_DIR, 'labelling-page.png'));
    expect((await fs.stat(path.join(dir, 'labelling-page.png'))).size).toBeGreaterThan(1000);
    await page.close();
  });

  it('logs in with the login URL and labels; a post from another site is refused with 403, the page cannot be framed, nothing reaches Kafka', async () => {
    const requests = `test.lab.xsite.requests.${id}`;
    const labels = `test.lab.xsite.labels.${id}`;
    await ensureTopics(kafka, [{ topic: requests }, { topic: labels }]);
    const guarded = new LabellingServer(kafka, { topic: requests, groupId: `xsite-labellers-${id}`, labelsTopic: labels });
    await guarded.start();
    // The attacker's site: another origin and another site (127.0.0.2), posting to the page's API as a form and by fetch, and framing it.
    const target = new URL('/api/label', guarded.url).href;
    const evilPage = `<!doctype html><body>
<form id="f" method="POST" action="${target}" enctype="text/plain"><input name='{"id":"xsite-1","label":"no","pad":"' value='"}'></form>
<iframe id="frame" src="${guarded.url}"></iframe>
<script>
fetch(${JSON.stringify(target)}, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body: '{"id":"xsite-1","label":"no"}' });
</script></body>`;
    const evil = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(evilPage));
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.2', resolve));
    try {
      const producer = kafka.producer();
      await producer.connect();
      const item: LabelRequest = { id: 'xsite-1', model: 'm', version: 'v1', input: { text: 'is this spam?' }, predicted: 'yes', scores: { yes: 0.5, no: 0.5 }, uncertainty: 1, ts: Date.now() };
      await producer.send({ topic: requests, messages: [{ key: item.id, value: JSON.stringify(item) }] });
      await producer.disconnect();
      await waitFor('the request buffered', () => guarded.current().pending === 1, 45_000);

      browser ??= await launchBrowser(path.join(dir, 'chromium-profile'));
      // Without a session the page asks for the token.
      const stranger = await browser.newPage();
      await stranger.goto(guarded.url);
      await stranger.locator('#login').waitFor({ state: 'visible' });
      expect(await stranger.locator('#item').isVisible()).toBe(false);
      await stranger.locator('#token').fill('not the token');
      await stranger.locator('#login button').click();
      await expect.poll(() => stranger.locator('#login-error').textContent()).toMatch(/^Wrong token/);
      await stranger.close();

      const page = await browser.newPage();
      await page.goto(guarded.loginUrl);
      await waitFor('the item on the page', async () => ((await page.locator('#meta').textContent()) ?? '').includes('request xsite-1'), 30_000);
      expect(page.url()).toBe(guarded.url); // the token left the address bar
      const cookie = (await browser.cookies(guarded.url)).find((c) => c.name === `streamtune_label_${new URL(guarded.url).port}`);
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });

      // The logged-in labeller visits the attacker's page in the same browser.
      const attacker = await browser.newPage();
      // The server's answers to the attacker's requests as the browser's network layer saw them
      // (the browser hides them from the attacker's script, and from page events, as it should).
      const cdp = await browser.newCDPSession(attacker);
      await cdp.send('Network.enable');
      const urls = new Map<string, string>();
      const answers: number[] = [];
      cdp.on('Network.requestWillBeSent', (e) => void urls.set(e.requestId, e.request.url));
      cdp.on('Network.responseReceivedExtraInfo', (e) => void (urls.get(e.requestId) === target && answers.push((e as { statusCode?: number }).statusCode ?? 0)));
      await attacker.goto(`http://127.0.0.2:${(evil.address() as AddressInfo).port}/`);
      await waitFor('the server to answer the fetch', () => answers.length >= 1, 30_000);
      expect(answers).toEqual([403]);
      // Framing is refused (frame-ancestors 'none', X-Frame-Options): the frame shows an error, not the page.
      const framed = attacker.frames().find((f) => f.parentFrame() !== null)!;
      await waitFor('the frame to be refused', () => framed.url().startsWith('chrome-error:'), 30_000);
      const submitted = attacker.waitForResponse((r) => r.url() === target);
      await attacker.locator('#f').evaluate((f) => (f as unknown as { submit(): void }).submit());
      expect((await submitted).status()).toBe(403);
      await waitFor('the server to answer the form', () => answers.length >= 2, 30_000);
      expect(answers).toEqual([403, 403]);
      await attacker.close();
      expect(guarded.current()).toMatchObject({ labelled: 0, pending: 1 });

      // The labeller's own click goes through: the only label event is theirs.
      await page.locator('#classes button[data-label="yes"]').click();
      await waitFor('the label', () => guarded.current().labelled === 1, 30_000);
      expect((await readTopic(labels, 1)).map((m) => decodeEvent(m.value)).map((e) => [e.id, e.label])).toEqual([['xsite-1', 'yes']]);
      await page.close();
    } finally {
      evil.closeAllConnections(); // the browser keeps them alive
      await new Promise<void>((resolve) => evil.close(() => resolve()));
      await guarded.close();
    }
  });

  it('the tenth class has the key 0: its button shows it and pressing it labels that class', async () => {
    const tenRequests = `test.lab.ten.requests.${id}`;
    const tenLabels = `test.lab.ten.labels.${id}`;
    await ensureTopics(kafka, [{ topic: tenRequests }, { topic: tenLabels }]);
    const ten = new LabellingServer(kafka, { topic: tenRequests, groupId: `ten-labellers-${id}`, labelsTopic: tenLabels });
    await ten.start();
    try {
      const classes = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
      const scores = Object.fromEntries(classes.map((c, i) => [c, i === 0 ? 0.19 : 0.09]));
      const item: LabelRequest = { id: 'ten-1', model: 'digits', version: 'v1', input: { features: [1, 2, 3] }, predicted: 'zero', scores, uncertainty: 0.9, ts: Date.now() };
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: tenRequests, messages: [{ key: item.id, value: JSON.stringify(item) }] });
      await producer.disconnect();
      await waitFor('the request buffered', () => ten.current().pending === 1, 45_000);

      browser ??= await launchBrowser(path.join(dir, 'chromium-profile'));
      const page = await browser.newPage();
      await page.goto(ten.loginUrl);
      await waitFor('the item on the page', async () => ((await page.locator('#meta').textContent()) ?? '').includes('request ten-1'), 30_000);
      expect(await page.locator('#classes button kbd').allTextContents()).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '0']);
      await page.keyboard.press('0');
      await waitFor('the label', () => ten.current().labelled === 1, 30_000);
      expect((await readTopic(tenLabels, 1)).map((m) => decodeEvent(m.value)).map((e) => [e.id, e.label])).toEqual([['ten-1', 'nine']]);
      await page.close();
    } finally {
      await ten.close();
    }
  });

  it('shows an image as the image, audio as a player with its spectrogram, an 8×8 feature vector as a picture; labels reach Kafka', async () => {
    const mediaRequests = `test.lab.media.requests.${id}`;
    const mediaLabels = `test.lab.media.labels.${id}`;
    await ensureTopics(kafka, [{ topic: mediaRequests }, { topic: mediaLabels }]);
    const media = new LabellingServer(kafka, { topic: mediaRequests, groupId: `media-labellers-${id}`, labelsTopic: mediaLabels, featureShape: [8, 8] });
    await media.start();
    try {
      const digit = [0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0, 0, 3, 15, 2, 0, 11, 8, 0, 0, 4, 12, 0, 0, 8, 8, 0, 0, 5, 8, 0, 0, 9, 8, 0, 0, 4, 11, 0, 1, 12, 7, 0, 0, 2, 14, 5, 10, 12, 0, 0, 0, 0, 6, 13, 10, 0, 0, 0];
      const request = (rid: string, input: LabelRequest['input'], scores: Record<string, number>): LabelRequest => ({
        id: rid, model: 'media', version: 'v3', input, predicted: Object.entries(scores).sort((a, b) => b[1] - a[1])[0]![0], scores, uncertainty: 0.97, ts: Date.now(),
      });
      const requests = [
        request('img-1', { image: stripesPng().toString('base64') }, { dotted: 0.52, striped: 0.48 }),
        request('wav-1', { audio: chirpWav().toString('base64') }, { tone: 0.51, chirp: 0.49 }),
        request('digit-1', { features: digit }, { '6': 0.4, '0': 0.35, '8': 0.25 }),
      ];
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: mediaRequests, messages: requests.map((r) => ({ key: r.id, value: JSON.stringify(r) })) });
      await producer.disconnect();
      await waitFor('3 requests buffered', () => media.current().pending === 3, 45_000);

      browser ??= await launchBrowser(path.join(dir, 'chromium-profile'));
      const page = await browser.newPage();
      await page.goto(media.loginUrl);
      const shot = async (name: string): Promise<void> => {
        await page.screenshot({ path: path.join(dir, name), fullPage: true });
        expect((await fs.stat(path.join(dir, name))).size).toBeGreaterThan(5000);
        if (SCREENSHOT_DIR) await fs.copyFile(path.join(dir, name), path.join(SCREENSHOT_DIR, name));
      };
      const showing = async (rid: string): Promise<void> => {
        await page.locator('#item').waitFor({ state: 'visible' });
        await waitFor(`request ${rid} on the page`, async () => ((await page.locator('#meta').textContent()) ?? '').includes(`request ${rid}`), 30_000);
      };

      // The image: shown as an image (no numbers), its 32 px scaled up 8× with sharp pixels.
      await showing('img-1');
      expect(await loadedImage(page.locator('#input-image'), 'the image')).toEqual({ natural: [32, 32], width: 256, className: 'pixels' });
      expect(await page.locator('#input td').count()).toBe(0);
      await expect.poll(() => page.locator('#input .caption').textContent()).toBe('32 × 32 px');
      await shot('labelling-image.png');
      await page.locator('#classes button[data-label="striped"]').click();

      // The audio: a player that has read the 1.2 s clip, and the spectrogram the server drew for it.
      await showing('wav-1');
      const audio = page.locator('#input-audio');
      await waitFor('the audio metadata', () => audio.evaluate((e) => (e as unknown as Audio).readyState >= 1), 30_000);
      expect(await audio.evaluate((e) => (e as unknown as Audio).duration)).toBeCloseTo(1.2, 2);
      expect((await loadedImage(page.locator('#input-spectrogram'), 'the spectrogram')).natural[0]).toBeGreaterThan(500);
      await shot('labelling-audio.png');
      await page.keyboard.press('2'); // chirp

      // 64 features with the declared 8×8 shape: a 192 px picture, not a table of 64 numbers.
      await showing('digit-1');
      expect((await loadedImage(page.locator('#input-features'), 'the feature picture')).natural).toEqual([192, 192]);
      expect(await page.locator('#input td').count()).toBe(0);
      await shot('labelling-digits.png');
      await page.locator('#classes button[data-label="0"]').click();

      await waitFor('3 labels', () => media.current().labelled === 3, 30_000);
      await page.locator('#empty').waitFor({ state: 'visible' });
      const events = new Map((await readTopic(mediaLabels, 3)).map((m) => decodeEvent(m.value)).map((e) => [e.id, e]));
      expect(events.get('img-1')).toMatchObject({ model: 'media', input: requests[0]!.input, label: 'striped' });
      expect(events.get('wav-1')).toMatchObject({ model: 'media', input: requests[1]!.input, label: 'chirp' });
      expect(events.get('digit-1')).toMatchObject({ model: 'media', input: { features: digit }, label: '0' });
      await page.close();
    } finally {
      await media.close();
    }
  });
});
