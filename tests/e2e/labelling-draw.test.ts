/**
 * The labelling page's drawing tools in a real browser (Debian's Chromium through
 * playwright-core), with real mouse and keyboard input: a labeller selects text
 * spans, drags boxes, clicks keypoints and paints masks, and the exact structured label events
 * land in the Kafka labels topic. Bad structured labels get a 400 naming the
 * field, and a post from another origin a 403; neither reaches the topic.
 */
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createKafka, decodeEvent, ensureTopics, type LabelEvent } from '../../src/ingest/index.js';
import { LabellingServer, type LabelRequest } from '../../src/labelling/index.js';
import { readTopic } from '../helpers/read-topic.js';
import { uniq, waitFor } from '../helpers/wait-for.js';

const kafka = createKafka(inject('kafkaBrokers').split(','));
/** Where the screenshots are copied for the docs (docs/img), when set. */
const SCREENSHOT_DIR = process.env.STREAMTUNE_SCREENSHOT_DIR;
const TEXT = 'Ada Lovelace met Charles Babbage in London';
const at = (word: string): [number, number] => [TEXT.indexOf(word), TEXT.indexOf(word) + word.length];

/** A 64×48 picture: a dark square and a light disc on grey (the page draws it 4× as large). */
function scenePng(): string {
  const png = new PNG({ width: 64, height: 48 });
  for (let y = 0; y < 48; y++) {
    for (let x = 0; x < 64; x++) {
      const v = x >= 10 && x < 30 && y >= 5 && y < 25 ? 40 : (x - 45) ** 2 + (y - 35) ** 2 < 36 ? 230 : 140;
      png.data.set([v, v, v, 255], (y * 64 + x) * 4);
    }
  }
  return PNG.sync.write(png).toString('base64');
}

/** A 64×48 bitmap's run lengths, background first (the event schema's `rle`). */
function rle(on: (x: number, y: number) => boolean): number[] {
  const runs: number[] = [];
  let run = 0;
  let inside = false;
  for (let i = 0; i < 64 * 48; i++) {
    if (on(i % 64, Math.floor(i / 64)) === inside) run++;
    else {
      runs.push(run);
      run = 1;
      inside = !inside;
    }
  }
  return [...runs, run];
}
/** Within the page's default brush (radius 2 px for a 64 px image) of pixel (cx, cy). */
const near = (x: number, y: number, cx: number, cy: number): boolean => (x - cx) ** 2 + (y - cy) ** 2 <= 4;

const request = (id: string, input: LabelRequest['input'], structured: LabelRequest['structured']): LabelRequest => ({ id, model: 'shapes', version: 'v2', input, structured, uncertainty: 1, ts: Date.now() });

/** The viewport position of characters [start, end) of the span text (however marks split it), from the page's own layout. */
function charsBox(page: Page, start: number, end: number): Promise<{ left: number; right: number; y: number }> {
  return page.evaluate(`(() => {
    const root = document.getElementById('span-text');
    const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const r = document.createRange();
    let seen = 0;
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      const len = n.textContent.length;
      if (${start} >= seen && ${start} < seen + len) r.setStart(n, ${start} - seen);
      if (${end} > seen && ${end} <= seen + len) r.setEnd(n, ${end} - seen);
      seen += len;
    }
    const b = r.getBoundingClientRect();
    return { left: b.left, right: b.right, y: (b.top + b.bottom) / 2 };
  })()`);
}

/** Viewport position of pixel (x, y) of the image under the drawing layer: 1 screen pixel inside it, or (`centre`) the middle of the pixel. */
async function pixel(page: Page, x: number, y: number, centre = false): Promise<[number, number]> {
  const b = (await page.locator('#overlay').boundingBox())!;
  const d = centre ? 0.5 : 1 / 4;
  return [b.x + ((x + d) * b.width) / 64, b.y + ((y + d) * b.height) / 48];
}

async function drag(page: Page, from: [number, number], to: [number, number]): Promise<void> {
  await page.mouse.move(...from);
  await page.mouse.down();
  await page.mouse.move(...to, { steps: 8 });
  await page.mouse.up();
}

describe('drawing structured labels on the labelling page', () => {
  let dir: string;
  let browser: BrowserContext | undefined;
  let server: LabellingServer;
  const id = uniq();
  const requestsTopic = `test.draw.requests.${id}`;
  const labelsTopic = `test.draw.labels.${id}`;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-draw-'));
    await ensureTopics(kafka, [{ topic: requestsTopic }, { topic: labelsTopic }]);
    server = new LabellingServer(kafka, { topic: requestsTopic, groupId: `draw-${id}`, labelsTopic });
    await server.start();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('a span selected with the mouse, boxes dragged, keypoints clicked and masks painted land in the labels topic as exactly those structured label events', async () => {
    const image = scenePng();
    const requests = [
      // The model's proposal ("Charles" as a place) is wrong: the labeller removes it and marks the people and the place.
      request('spans-1', { text: TEXT }, { kind: 'spans', labels: ['PER', 'LOC'], proposal: { spans: [{ start: at('Charles')[0], end: at('Charles')[1], label: 'LOC' }] } }),
      request('boxes-1', { image }, { kind: 'boxes', labels: ['square', 'disc'] }),
      // A proposal in fractions of the image: the nose at (32, 30) px.
      request('points-1', { image }, { kind: 'keypoints', labels: ['left-eye', 'right-eye', 'nose'], proposal: { keypoints: [{ x: 0.5, y: 0.625, label: 'nose' }], units: 'relative' } }),
      // A proposed mask (the bottom row as "disc") starts painted.
      request('masks-1', { image }, { kind: 'masks', labels: ['square', 'disc'], proposal: { masks: [{ label: 'disc', rle: [47 * 64, 64] }] } }),
    ];
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: requestsTopic, messages: requests.map((r) => ({ key: r.id, value: JSON.stringify(r) })) });
    await producer.disconnect();
    await waitFor('4 requests buffered', () => server.current().pending === 4, 20_000);

    browser = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
      viewport: { width: 900, height: 640 },
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = await browser.newPage();
    const cspViolations: string[] = [];
    page.on('console', (m) => void (/Content.Security.Policy/i.test(m.text()) && cspViolations.push(m.text())));
    await page.goto(server.loginUrl);
    const shot = async (name: string): Promise<void> => {
      await page.screenshot({ path: path.join(dir, name), fullPage: true });
      if (SCREENSHOT_DIR) await fs.copyFile(path.join(dir, name), path.join(SCREENSHOT_DIR, name));
    };
    const marks = (): Promise<string[]> => page.locator('#marks li').evaluateAll((lis) => lis.map((li) => (li as unknown as { firstChild: { textContent: string } }).firstChild.textContent));
    const post = (body: unknown): Promise<{ status: number; body: { error: string; field?: string } }> =>
      page.evaluate(`fetch('/api/label', { method: 'POST', headers: { 'content-type': 'application/json' }, body: ${JSON.stringify(JSON.stringify(body))} }).then(async (r) => ({ status: r.status, body: await r.json() }))`);

    const done = new Set<string>();
    for (let n = 0; n < requests.length; n++) {
      await page.locator('#draw').waitFor({ state: 'visible' });
      let rid = '';
      await waitFor('a new request on the page', async () => {
        rid = /request (\S+)/.exec((await page.locator('#meta').textContent()) ?? '')?.[1] ?? '';
        return rid !== '' && !done.has(rid);
      }, 10_000);
      done.add(rid);
      if (rid === 'spans-1') {
        expect(await marks()).toEqual(['LOC "Charles" [17, 24)']);
        // Bad labels are refused by the server, naming the field; the item stays.
        expect(await post({ id: rid, label: { spans: [{ start: 36, end: 99, label: 'LOC' }] } })).toMatchObject({ status: 400, body: { field: 'label.spans.0', error: expect.stringMatching(/ends past the text's 42 characters/) } });
        expect(await post({ id: rid, label: { spans: [{ start: 0, end: 3, label: 'ORG' }] } })).toMatchObject({ status: 400, body: { field: 'label.spans.0.label', error: expect.stringMatching(/"ORG" is not one of the request's labels \(PER, LOC\)/) } });
        expect(await post({ id: rid, label: { spans: [{ start: 0, end: 12, label: 'PER' }, { start: 4, end: 8, label: 'PER' }] } })).toMatchObject({ status: 400, body: { field: 'label.spans.1' } });
        expect(await post({ id: rid, label: { boxes: [{ x: 0, y: 0, w: 1, h: 1, label: 'PER' }] } })).toMatchObject({ status: 400, body: { field: 'label.boxes' } });
        expect(await post({ id: rid, label: 'PER' })).toMatchObject({ status: 400, body: { field: 'label', error: 'label must be {"spans": [...]} for request "spans-1"' } });
        await page.locator('#marks li button').first().click(); // the wrong proposal goes
        // "Ada Lovelace" by dragging across it (PER is picked: the first label).
        let b = await charsBox(page, ...at('Ada Lovelace'));
        await drag(page, [b.left + 1, b.y], [b.right - 1, b.y]);
        // Selecting into an existing span is refused on the page, with why.
        b = await charsBox(page, at('Lovelace')[0], at('met')[1]);
        await drag(page, [b.left + 2, b.y], [b.right - 1, b.y]);
        await expect.poll(() => page.locator('#draw-error').textContent(), { timeout: 10_000 }).toMatch(/overlaps the PER span "Ada Lovelace"/);
        b = await charsBox(page, ...at('Charles Babbage'));
        await drag(page, [b.left + 1, b.y], [b.right - 1, b.y]);
        // Key 2 picks LOC; a double click selects the word.
        await page.keyboard.press('2');
        expect(await page.locator('#tools button[aria-pressed="true"]').getAttribute('data-label')).toBe('LOC');
        b = await charsBox(page, ...at('London'));
        await page.mouse.dblclick((b.left + b.right) / 2, b.y);
        expect(await marks()).toEqual(['PER "Ada Lovelace" [0, 12)', 'PER "Charles Babbage" [17, 32)', 'LOC "London" [36, 42)']);
        expect(await page.locator('#span-text mark').allTextContents()).toEqual(['Ada Lovelace', 'Charles Babbage', 'London']);
        await shot('labelling-spans.png');
        await page.keyboard.press('Enter');
      } else if (rid === 'boxes-1') {
        await waitFor('the image and its drawing layer', async () => ((await page.locator('#overlay').boundingBox())?.width ?? 0) > 200, 10_000);
        expect(await post({ id: rid, label: { boxes: [{ x: 50, y: 40, w: 20, h: 5, label: 'disc' }], units: 'pixels' } })).toMatchObject({ status: 400, body: { field: 'label.boxes.0', error: expect.stringMatching(/not inside the image \(64 × 48 pixels\)/) } });
        await drag(page, await pixel(page, 10, 5), await pixel(page, 30, 25));
        await page.keyboard.press('2');
        // Dragged from bottom right to top left: the same box.
        await drag(page, await pixel(page, 51, 41), await pixel(page, 39, 29));
        // A click without a drag draws nothing.
        await page.mouse.click(...(await pixel(page, 5, 40)));
        expect(await page.locator('#overlay rect').count()).toBe(2);
        expect(await marks()).toEqual(['square x 10 y 5 w 20 h 20', 'disc x 39 y 29 w 12 h 12']);
        await shot('labelling-boxes.png');
        await page.keyboard.press('Enter');
      } else if (rid === 'masks-1') {
        await waitFor('the image and its paint layer', async () => ((await page.locator('#overlay').boundingBox())?.width ?? 0) > 200, 10_000);
        expect(await marks()).toEqual(['brush radius 2 px', 'disc 64 px']);
        // A stroke along row 15 from x 10 to 29 as "square"; one dab of "disc" at (45, 35); Shift erases around (10, 15).
        await drag(page, await pixel(page, 10, 15, true), await pixel(page, 29, 15, true));
        await page.keyboard.press('2');
        await page.mouse.click(...(await pixel(page, 45, 35, true)));
        // A stray stroke, undone with Backspace.
        await drag(page, await pixel(page, 50, 5, true), await pixel(page, 60, 5, true));
        await page.keyboard.press('Backspace');
        await page.keyboard.down('Shift');
        await page.mouse.click(...(await pixel(page, 10, 15, true)));
        await page.keyboard.up('Shift');
        await shot('labelling-masks.png');
        await page.keyboard.press('Enter');
      } else {
        await waitFor('the image and its drawing layer', async () => ((await page.locator('#overlay').boundingBox())?.width ?? 0) > 200, 10_000);
        expect(await marks()).toEqual(['nose (32, 30)']);
        expect(await post({ id: rid, label: { keypoints: [{ x: 64.5, y: 3, label: 'nose' }] } })).toMatchObject({ status: 400, body: { field: 'label.keypoints.0' } });
        await page.mouse.click(...(await pixel(page, 22, 16)));
        await page.locator('#tools button[data-label="right-eye"]').click();
        await page.mouse.click(...(await pixel(page, 42, 16)));
        // A stray click, taken back with Backspace.
        await page.mouse.click(...(await pixel(page, 60, 45)));
        await page.keyboard.press('Backspace');
        expect(await page.locator('#overlay circle').count()).toBe(3);
        await shot('labelling-keypoints.png');
        await page.locator('#submit').click();
      }
    }
    await waitFor('4 labels', () => server.current().labelled === 4, 10_000);
    await page.locator('#empty').waitFor({ state: 'visible' });
    expect(cspViolations).toEqual([]);

    const events = new Map((await readTopic(kafka, labelsTopic, 4)).map((m) => decodeEvent(m.value)).map((e) => [e.id, e]));
    const expected = (rid: string, label: LabelEvent['label']): LabelEvent => ({ id: rid, model: 'shapes', input: requests.find((r) => r.id === rid)!.input as LabelEvent['input'], label, ts: expect.any(Number) as unknown as number });
    expect(events.get('spans-1')).toEqual(expected('spans-1', { spans: [{ start: 0, end: 12, label: 'PER' }, { start: 17, end: 32, label: 'PER' }, { start: 36, end: 42, label: 'LOC' }] }));
    expect(events.get('boxes-1')).toEqual(expected('boxes-1', { boxes: [{ x: 10, y: 5, w: 20, h: 20, label: 'square' }, { x: 39, y: 29, w: 12, h: 12, label: 'disc' }], units: 'pixels' }));
    expect(events.get('points-1')).toEqual(expected('points-1', { keypoints: [{ x: 32, y: 30, label: 'nose' }, { x: 22, y: 16, label: 'left-eye' }, { x: 42, y: 16, label: 'right-eye' }], units: 'pixels' }));
    const square = (x: number, y: number): boolean => y === 15 ? x >= 8 && x <= 31 : Math.abs(y - 15) === 1 ? x >= 9 && x <= 30 : Math.abs(y - 15) === 2 && x >= 10 && x <= 29;
    expect(events.get('masks-1')).toEqual(expected('masks-1', {
      masks: [
        { label: 'square', rle: rle((x, y) => square(x, y) && !near(x, y, 10, 15)) },
        { label: 'disc', rle: rle((x, y) => y === 47 || near(x, y, 45, 35)) },
      ],
    }));
    // The refused labels went nowhere: the topic holds the four answers only.
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(labelsTopic).finally(() => admin.disconnect());
    expect(offsets.reduce((n, o) => n + Number(o.high), 0)).toBe(4);
    await page.close();
  });

  it('a structured label posted from another origin is refused with 403 and nothing is sent', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const u = new URL('/api/label', server.url);
      const req = http.request(u, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'http://evil.example' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(JSON.stringify({ id: 'spans-1', label: { spans: [] } }));
    });
    expect(status).toBe(403);
    expect(server.current().labelled).toBe(4);
  });
});
