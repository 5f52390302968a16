import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { healthcheckCommand } from '../../src/cli/healthcheck.js';
import { startServingFixture, type ServingFixture } from '../helpers/serving-fixture.js';

async function run(values: Record<string, string>): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
  try {
    return { code: await healthcheckCommand.run(values, []), out: out.join('') };
  } finally {
    spy.mockRestore();
  }
}

/** A port nothing listens on: bound, then released. */
async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

describe('streamtune healthcheck (the compose health check) against a real server', () => {
  let fx: ServingFixture;

  beforeAll(async () => {
    fx = await startServingFixture({ versions: 1 });
  });

  afterAll(async () => {
    await fx?.close();
  });

  it('exits 0 while the server serves, for the whole server and for a named service', async () => {
    const address = fx.app.grpc!.address;
    expect(await run({ address })).toEqual({ code: 0, out: `${address} SERVING\n` });
    expect(await run({ address, service: 'streamtune.v1.Predictor' })).toEqual({ code: 0, out: `${address} SERVING\n` });
  });

  it('exits 1 for a service the server does not know, and when nothing answers', async () => {
    expect((await run({ address: fx.app.grpc!.address, service: 'no.Such' })).code).toBe(1);
    const address = `127.0.0.1:${await freePort()}`;
    const r = await run({ address, 'timeout-ms': '2000' });
    expect(r).toEqual({ code: 1, out: expect.stringMatching(new RegExp(`^${address} no answer \\(UNAVAILABLE`)) });
  });

  it('names a bad --timeout-ms', async () => {
    await expect(run({ 'timeout-ms': 'soon' })).rejects.toThrow('--timeout-ms "soon" is not an integer');
  });
});
