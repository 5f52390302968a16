import { once } from 'node:events';
import * as http from 'node:http';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LabelRequest } from '../../src/labelling/index.js';
import { decodeEvent, createKafka, ensureTopics } from '../../src/ingest/index.js';
import { LabellingServer } from '../../src/labelling/index.js';
import { runCli } from '../helpers/processes.js';
import { readTopic } from '../helpers/read-topic.js';
import { uniq, waitFor } from '../helpers/wait-for.js';

const kafka = createKafka(inject('kafkaBrokers').split(','));

const request = (i: number): LabelRequest => ({
  id: `lr-${i}`,
  model: 'm',
  version: 'v1',
  input: { text: `item ${i}` },
  predicted: 'a',
  scores: { a: 0.55, b: 0.45 },
  uncertainty: 0.99,
  ts: 1,
});

const TOKEN = 'labelling-test-token';
/** Session cookies by server URL, from logging in with the token. */
const cookies = new Map<string, string>();

async function login(base: string): Promise<string> {
  const r = await fetch(new URL('/api/login', base), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: TOKEN }) });
  expect(r.status).toBe(200);
  const cookie = r.headers.get('set-cookie')!.split(';')[0]!;
  cookies.set(base, cookie);
  return cookie;
}

async function api(base: string, p: string, body?: object, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const cookie = cookies.get(base) ?? (await login(base));
  const h = { cookie, ...headers };
  const r = await fetch(new URL(p, base), body ? { method: 'POST', headers: { 'content-type': 'application/json', ...h }, body: JSON.stringify(body) } : { headers: h });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

describe('labelling servers sharing one consumer group', () => {
  const id = uniq();
  const topic = `test.lr.requests.${id}`;
  const labelsTopic = `test.lr.labels.${id}`;
  const servers: LabellingServer[] = [];

  beforeAll(async () => {
    await ensureTopics(kafka, [{ topic, numPartitions: 2 }, { topic: labelsTopic }]);
    for (let i = 0; i < 2; i++) servers.push(new LabellingServer(kafka, { topic, groupId: `labellers-${id}`, labelsTopic, token: TOKEN }));
    await Promise.all(servers.map((s) => s.start()));
    // Both members own a partition before any request exists, so no rebalance moves buffered items.
    await waitFor('both servers to hold one partition', () => servers.every((s) => s.assignedPartitions === 1), 90_000);
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  it('never hands the same item to two labellers, and labels become label events with the request ids', async () => {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 8 }, (_, i) => ({ key: `lr-${i}`, value: JSON.stringify(request(i)) })) });
    await producer.disconnect();
    await waitFor('8 requests buffered across the servers', () => servers.reduce((n, s) => n + s.current().pending, 0) === 8);

    const [a, b] = servers.map((s) => s.url) as [string, string];
    const first = (await api(a, '/api/next?labeller=ann')).json.item as LabelRequest;
    expect(((await api(a, '/api/next?labeller=ann')).json.item as LabelRequest).id).toBe(first.id); // leased to ann
    const other = (await api(a, '/api/next?labeller=bob')).json.item as LabelRequest | null;
    if (other) expect(other.id).not.toBe(first.id);
    expect((await api(a, '/api/label', { id: first.id, label: 'c' })).status).toBe(400);
    expect((await api(a, '/api/label', { id: first.id, label: 'constructor' })).status).toBe(400); // not a class, though in every object
    expect((await api(a, '/api/label', { id: 'lr-none', label: 'a' })).status).toBe(404);

    const labelled: string[] = [];
    for (const [base, labeller] of [[a, 'ann'], [a, 'bob'], [b, 'cid'], [b, 'dee']] as const) {
      for (;;) {
        const item = (await api(base, `/api/next?labeller=${labeller}`)).json.item as LabelRequest | null;
        if (!item) break;
        expect((await api(base, '/api/label', { id: item.id, label: 'b' })).status).toBe(200);
        labelled.push(item.id);
      }
    }
    expect(labelled.sort()).toEqual(Array.from({ length: 8 }, (_, i) => `lr-${i}`).sort());
    // Keys hash the 8 requests 5/3 over the two partitions: each server labelled its own share.
    expect(servers.map((s) => s.current().labelled).sort()).toEqual([3, 5]);
    expect(servers[0]!.current().accuracy).toBe(0); // the model guessed "a" every time

    const consumer = kafka.consumer({ groupId: `reader-${uniq()}` });
    const got: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: labelsTopic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void got.push(decodeEvent(message.value).id) });
    try {
      await waitFor('8 label events', () => got.length >= 8, 60_000);
    } finally {
      await consumer.disconnect();
    }
    expect(got.sort()).toEqual(labelled);
  });

  it('refuses a body over its size limit with 413, naming why', async () => {
    const r = await fetch(new URL('/api/label', servers[0]!.url), { method: 'POST', headers: { 'content-type': 'application/json', cookie: await login(servers[0]!.url) }, body: JSON.stringify({ id: 'x'.repeat(200_000) }) });
    expect(r.status).toBe(413);
    expect(((await r.json()) as { error: string }).error).toBe('body too large');
  });
});

describe('the pictures the labelling page shows', () => {
  const id = uniq();
  const topic = `test.lv.requests.${id}`;
  const labelsTopic = `test.lv.labels.${id}`;
  let server: LabellingServer;

  /** 0.25 s of 8 kHz silence with one click: a valid WAV. */
  const wav = (): string => {
    const n = 2000;
    const b = Buffer.alloc(44 + n * 2);
    b.write('RIFFxxxxWAVEfmt ', 0, 'latin1');
    b.writeUInt32LE(36 + n * 2, 4);
    b.writeUInt32LE(16, 16);
    b.writeUInt16LE(1, 20);
    b.writeUInt16LE(1, 22);
    b.writeUInt32LE(8000, 24);
    b.writeUInt32LE(16_000, 28);
    b.writeUInt16LE(2, 32);
    b.writeUInt16LE(16, 34);
    b.write('data', 36, 'latin1');
    b.writeUInt32LE(n * 2, 40);
    b.writeInt16LE(20_000, 44 + 1000 * 2);
    return b.toString('base64');
  };

  beforeAll(async () => {
    await ensureTopics(kafka, [{ topic }, { topic: labelsTopic }]);
    server = new LabellingServer(kafka, { topic, groupId: `lv-${id}`, labelsTopic, featureShape: [2, 2], token: TOKEN });
    await server.start();
  });

  afterAll(async () => {
    await server?.close();
  });

  it('serves a spectrogram for audio and a picture for shaped features, and says why when an item has none', async () => {
    const producer = kafka.producer();
    await producer.connect();
    const items: LabelRequest[] = [
      { ...request(1), id: 'lv-audio', input: { audio: wav() } },
      { ...request(2), id: 'lv-features', input: { features: [0, 1, 2, 3] } },
    ];
    await producer.send({ topic, messages: items.map((r) => ({ key: r.id, value: JSON.stringify(r) })) });
    await producer.disconnect();
    await waitFor('2 requests buffered', () => server.current().pending === 2);

    const first = (await api(server.url, '/api/next?labeller=ann')).json as { item: LabelRequest; view: { kind: string; spectrogram: string } };
    expect(first.item.id).toBe('lv-audio');
    expect(first.view).toEqual({ kind: 'audio', mediaType: 'audio/wav', spectrogram: '/api/items/lv-audio/spectrogram.png' });
    const spec = await fetch(new URL(first.view.spectrogram, server.url), { headers: { cookie: cookies.get(server.url)! } });
    expect([spec.status, spec.headers.get('content-type')]).toEqual([200, 'image/png']);
    expect(PNG.sync.read(Buffer.from(await spec.arrayBuffer())).width).toBeGreaterThan(600);
    const none = await api(server.url, '/api/items/lv-audio/features.png');
    expect(none).toEqual({ status: 404, json: { error: 'request "lv-audio" has no features picture (its input is shown as audio)' } });

    const second = (await api(server.url, '/api/next?labeller=bob')).json as { item: LabelRequest; view: { src: string } };
    expect(second.view).toEqual({ kind: 'feature-image', shape: [2, 2], src: '/api/items/lv-features/features.png' });
    const pic = PNG.sync.read(Buffer.from(await (await fetch(new URL(second.view.src, server.url), { headers: { cookie: cookies.get(server.url)! } })).arrayBuffer()));
    expect([pic.width, pic.height, pic.data[0], pic.data[(pic.width * pic.height - 1) * 4]]).toEqual([48, 48, 255, 0]);

    // Once labelled, an item's pictures are gone with it.
    expect((await api(server.url, '/api/label', { id: 'lv-audio', label: 'a' })).status).toBe(200);
    expect((await api(server.url, '/api/items/lv-audio/spectrogram.png')).status).toBe(404);
  });
});

describe('the labelling page is only for its logged-in labellers (issue 22)', () => {
  const id = uniq();
  const topic = `test.ls.requests.${id}`;
  const labelsTopic = `test.ls.labels.${id}`;
  let server: LabellingServer;

  beforeAll(async () => {
    await ensureTopics(kafka, [{ topic }, { topic: labelsTopic }]);
    server = new LabellingServer(kafka, { topic, groupId: `ls-${id}`, labelsTopic, token: TOKEN });
    await server.start();
  });

  afterAll(async () => {
    await server?.close();
  });

  it('sends CSP, X-Frame-Options and nosniff; the API needs a session from the right token', async () => {
    const page = await fetch(server.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'none'; script-src 'sha256-[\w+/]+='; style-src 'sha256-[\w+/]+='; .*frame-ancestors 'none'$/);
    expect([page.headers.get('x-frame-options'), page.headers.get('x-content-type-options'), page.headers.get('referrer-policy')]).toEqual(['DENY', 'nosniff', 'no-referrer']);
    for (const p of ['/api/next?labeller=x', '/api/stats', '/api/items/x/features.png']) expect((await fetch(new URL(p, server.url))).status).toBe(401);
    const post = (p: string, body: object, headers: Record<string, string> = {}): Promise<Response> =>
      fetch(new URL(p, server.url), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    expect((await post('/api/label', { id: 'x', label: 'a' })).status).toBe(401);
    expect((await post('/api/label', { id: 'x', label: 'a' }, { cookie: `streamtune_label_${new URL(server.url).port}=forged` })).status).toBe(401);
    expect((await post('/api/login', { token: 'not-the-token-at-all' })).status).toBe(401);
    const ok = await post('/api/login', { token: TOKEN });
    expect(ok.headers.get('set-cookie')).toMatch(/^streamtune_label_\d+=[\w-]+; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict$/);
    const cookie = ok.headers.get('set-cookie')!.split(';')[0]!;
    expect((await fetch(new URL('/api/stats', server.url), { headers: { cookie } })).status).toBe(200);
    expect((await post('/api/logout', {}, { cookie })).status).toBe(200);
    expect((await fetch(new URL('/api/stats', server.url), { headers: { cookie } })).status).toBe(401);
  });

  it('refuses a cross-site post with 403 (a text/plain body too) and a rebound Host; nothing reaches Kafka', async () => {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ key: 'csrf-1', value: JSON.stringify({ ...request(1), id: 'csrf-1' }) }] });
    await producer.disconnect();
    await waitFor('the request buffered', () => server.current().pending === 1);
    const cookie = await login(server.url);
    const url = new URL('/api/label', server.url);
    const attempt = async (headers: Record<string, string>): Promise<number> =>
      (await fetch(url, { method: 'POST', headers: { cookie, ...headers }, body: JSON.stringify({ id: 'csrf-1', label: 'a' }) })).status;
    // The measured attack: a simple (no preflight) cross-site POST.
    expect(await attempt({ origin: 'http://evil.example', 'content-type': 'text/plain' })).toBe(403);
    expect(await attempt({ origin: 'http://evil.example', 'content-type': 'application/json' })).toBe(403);
    expect(await attempt({ origin: 'http://127.0.0.1:1', 'content-type': 'application/json' })).toBe(403);
    expect(await attempt({ 'sec-fetch-site': 'same-site', 'content-type': 'application/json' })).toBe(403);
    // A form post without an Origin (an old browser) cannot send JSON, which the API requires.
    expect(await attempt({ 'content-type': 'text/plain' })).toBe(415);
    // fetch sets Host itself: a DNS-rebound request is sent by hand.
    const rebound = await new Promise<number>((resolve, reject) => {
      const body = JSON.stringify({ id: 'csrf-1', label: 'a' });
      const headers = { host: `rebind.evil.example:${url.port}`, cookie, 'content-type': 'application/json', 'content-length': String(body.length) };
      http.request(url, { method: 'POST', headers }, (res) => resolve(res.resume().statusCode!)).on('error', reject).end(body);
    });
    expect(rebound).toBe(403);
    expect(server.current()).toMatchObject({ labelled: 0, pending: 1 });
    // The page's own post goes through: the first (and only) label event is this one.
    expect(await attempt({ origin: server.url.replace(/\/$/, ''), 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' })).toBe(200);
    const events = (await readTopic(kafka, labelsTopic, 1)).map((m) => decodeEvent(m.value));
    expect(events.map((e) => [e.id, e.label])).toEqual([['csrf-1', 'a']]);
  });

  it('`streamtune label` prints a login URL that works, and refuses plaintext off loopback naming the key', async () => {
    const { child, lines } = runCli(['label', '--port', '0', '--requests-topic', topic, '--group', `ls-cli-${id}`, '--brokers', inject('kafkaBrokers')], { STREAMTUNE_LABEL_TOKEN: '' });
    try {
      await waitFor('the login URL', () => lines.some((l) => l.startsWith('log in: ')), 60_000);
      const loginUrl = new URL(lines.find((l) => l.startsWith('log in: '))!.slice('log in: '.length));
      const token = new URLSearchParams(loginUrl.hash.slice(1)).get('token')!;
      expect(token).toMatch(/^[\w-]{32}$/);
      const r = await fetch(new URL('/api/login', loginUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
      expect(r.status).toBe(200);
    } finally {
      child.kill('SIGINT');
      await once(child, 'exit');
    }
    const refused = runCli(['label', '--host', '127.0.0.2', '--brokers', inject('kafkaBrokers')]);
    const [code] = (await once(refused.child, 'exit')) as [number];
    expect(code).toBe(2);
    expect(refused.lines.filter(Boolean)).toEqual([expect.stringMatching(/"labelling\.tls": the plaintext labelling page is served on loopback only: set labelling\.tls .* to serve on "127\.0\.0\.2", or labelling\.allowPlaintextNetwork=true/)]);
  });
});
