import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { modelsCommand } from '../../src/cli/commands/models.js';
import { statusCommand } from '../../src/cli/commands/status.js';
import type { ServerStatus } from '../../src/cli/server-status.js';
import { startServingFixture, type ServingFixture } from '../helpers/serving-fixture.js';

async function capture(fn: () => Promise<unknown>): Promise<string> {
  const out: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
  try {
    await fn();
  } finally {
    spy.mockRestore();
  }
  return out.join('');
}

describe('streamtune status and streamtune models against a real server', () => {
  let fx: ServingFixture;

  beforeAll(async () => {
    // No token here: admin RPCs are opened explicitly (refused by default).
    fx = await startServingFixture({ versions: 3, serving: { allowUnauthenticatedAdmin: true } });
  });

  afterAll(async () => {
    await fx?.close();
  });

  it('status --json reports the serving version, backend, age and swaps from gRPC and /metrics', async () => {
    const address = fx.app.grpc!.address;
    const s = JSON.parse(await capture(() => statusCommand.run({ address, 'metrics-url': fx.app.metricsUrl, json: true }, []))) as ServerStatus;
    expect(s).toMatchObject({ model: 'm', version: 'v1', backend: fx.app.backend, pinned: null, examplesSeen: 1, trainerUp: null, consumerLag: null });
    expect(s.swaps.ok).toBeGreaterThanOrEqual(1);
    expect(Date.parse(s.lastSwap!)).toBeGreaterThanOrEqual(Date.parse(s.createdAt));
    expect(s.ageSeconds).toBeGreaterThanOrEqual(0);
    expect(s.versions).toEqual({ total: 3, rejected: 0, candidates: 2 });

    await capture(() => modelsCommand.run({ address }, ['pin', 'v2']));
    const text = await capture(() => statusCommand.run({ address, 'metrics-url': fx.app.metricsUrl }, []));
    expect(text).toMatch(/^serving\s+v2 \(pinned\) on \w+$/m);
    expect(text).toMatch(/^versions\s+3 \(1 candidates, 0 rejected\)$/m);
  });

  it('models list | pin | unpin | rollback go through the admin RPCs', async () => {
    const address = fx.app.grpc!.address;
    const run = async (...p: string[]): Promise<Record<string, unknown>> => JSON.parse(await capture(() => modelsCommand.run({ address, reason: 'bad' }, p))) as Record<string, unknown>;
    expect(await run('unpin')).toMatchObject({ version: 'v3', pinned: '' });
    const listed = (await run('list')) as { versions: { version: string; state: string }[] };
    expect(listed.versions.map((v) => `${v.version}:${v.state}`)).toEqual(['v1:retired', 'v2:retired', 'v3:serving']);
    const rolled = await run('rollback');
    expect(rolled).toMatchObject({ previous: 'v3', pinned: rolled.version });
    expect(['v1', 'v2']).toContain(rolled.version);
    await expect(run('promote')).rejects.toThrow(/give one of: list, pin, unpin, rollback/);
  });
});
