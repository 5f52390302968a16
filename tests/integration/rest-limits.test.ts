/**
 * The KServe v2 REST port lets go of clients that hold it (issue 22): idle and
 * slow connections are closed, connections are capped, and a body nested too
 * deep is a 400 naming the field, not a 500 from a stack overflow.
 */
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServingFixture, type ServingFixture } from '../helpers/serving-fixture.js';

// The idle timeout is the shorter here, so it is what closes silent connections (Node's header deadline misses some).
const LIMITS = { idleTimeoutMs: 1000, headersTimeoutMs: 2000, requestTimeoutMs: 3000, keepAliveTimeoutMs: 400, maxConnections: 40 };

/** A raw connection, and when the server closed it (ms after it opened) and what it answered. */
function connect(port: number, send?: string): Promise<{ socket: net.Socket; closed: Promise<{ afterMs: number; answer: string }> }> {
  return new Promise((resolve, reject) => {
    const opened = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => (answer += d.toString()));
    const closed = new Promise<{ afterMs: number; answer: string }>((done) => socket.on('close', () => done({ afterMs: Date.now() - opened, answer })));
    socket.once('error', () => undefined);
    socket.once('connect', () => {
      if (send) socket.write(send);
      resolve({ socket, closed });
    });
    socket.once('error', reject);
  });
}

describe('KServe v2 REST limits', () => {
  let fx: ServingFixture;
  let port: number;

  beforeAll(async () => {
    fx = await startServingFixture({ versions: 1, serving: { http: { port: 0, ...LIMITS } } });
    port = fx.app.grpc!.rest!.port;
  });

  afterAll(async () => {
    await fx?.close();
  });

  it('closes idle connections within the timeout: silent ones, slow headers, kept-alive ones; then serves again', async () => {
    const silent = await Promise.all(Array.from({ length: 20 }, () => connect(port)));
    const slow = await connect(port, 'GET /v2/health/live HTTP/1.1\r\nHost: x\r\n');
    const trickle = setInterval(() => slow.socket.writable && slow.socket.write('X-Slow: 1\r\n'), 200);
    const kept = await connect(port, 'GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n');
    try {
      const silentClosed = await Promise.all(silent.map((c) => c.closed));
      for (const c of silentClosed) expect(c).toMatchObject({ answer: '' });
      expect(Math.max(...silentClosed.map((c) => c.afterMs))).toBeLessThan(LIMITS.idleTimeoutMs + 1000);
      expect(Math.min(...silentClosed.map((c) => c.afterMs))).toBeGreaterThanOrEqual(LIMITS.idleTimeoutMs - 100);
      // Headers that trickle in are never idle: the header deadline ends them with a 408.
      const s = await slow.closed;
      expect(s.answer).toMatch(/^HTTP\/1\.1 408/);
      expect(s.afterMs).toBeLessThan(LIMITS.headersTimeoutMs + 1000);
      const k = await kept.closed;
      expect(k.answer).toMatch(/^HTTP\/1\.1 200/);
      // Node waits one more second past the keep-alive timeout (its keepAliveTimeoutBuffer) so a client reusing the connection does not race the close.
      expect(k.afterMs).toBeLessThan(LIMITS.keepAliveTimeoutMs + 2000);
    } finally {
      clearInterval(trickle);
    }
    expect((await fetch(`${fx.app.grpc!.rest!.url}/v2/health/live`)).status).toBe(200);
  });

  it('closes connections over the cap as they arrive, and takes new ones once others are gone', async () => {
    const held = await Promise.all(Array.from({ length: LIMITS.maxConnections }, () => connect(port)));
    const over = await connect(port);
    const refused = await over.closed;
    expect(refused).toMatchObject({ answer: '' });
    expect(refused.afterMs).toBeLessThan(500);
    for (const c of held) c.socket.destroy();
    await Promise.all(held.map((c) => c.closed));
    await new Promise((r) => setTimeout(r, 100));
    expect((await fetch(`${fx.app.grpc!.rest!.url}/v2/health/live`)).status).toBe(200);
  });

  it('answers a body nested too deep with 400 naming the field (100,000 levels were a 500)', async () => {
    const infer = async (body: string): Promise<{ status: number; error: string }> => {
      const r = await fetch(`${fx.app.grpc!.rest!.url}/v2/models/m/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      return { status: r.status, error: ((await r.json()) as { error: string }).error };
    };
    const nested = (depth: number): string => `${'['.repeat(depth)}1${']'.repeat(depth)}`;
    expect(await infer(`{"inputs":[{"name":"input","datatype":"FP32","shape":[1,4],"data":${nested(100_000)}}]}`)).toEqual({
      status: 400,
      error: 'inputs[0].data: nested more than 32 levels of arrays and objects deep',
    });
    expect(await infer(`{"inputs":[{"name":${nested(50)},"datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}]}`)).toMatchObject({ status: 400, error: expect.stringMatching(/^inputs\[0\]\.name: nested more than 32 levels/) });
    expect(await infer(`{"parameters":{"a":${'{"a":'.repeat(40)}1${'}'.repeat(40)}},"inputs":[]}`)).toMatchObject({ status: 400, error: expect.stringMatching(/^parameters\.a\.a: nested more than 32 levels/) });
    // Nesting a tensor may have (rank 4 here) is fine.
    expect((await infer('{"inputs":[{"name":"input","datatype":"FP32","shape":[1,4],"data":[[[[1]],[[2]],[[3]],[[4]]]]}]}')).status).toBe(200);
  });
});
