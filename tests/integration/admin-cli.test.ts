import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { adminCommand } from '../../src/cli/commands/admin.js';
import { startServingFixture, type ServingFixture } from '../helpers/serving-fixture.js';

describe('streamtune admin (CLI) against a real server', () => {
  let fx: ServingFixture;
  const run = async (...positionals: string[]): Promise<unknown> => {
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
    try {
      await adminCommand.run({ address: fx.app.grpc!.address, reason: 'bad v2' }, positionals);
    } finally {
      spy.mockRestore();
    }
    return JSON.parse(out.join(''));
  };

  beforeAll(async () => {
    fx = await startServingFixture({ versions: 3, serving: { adminToken: 'cli-token' } });
  });

  afterEach(() => {
    delete process.env.STREAMTUNE_ADMIN_TOKEN;
  });

  afterAll(async () => {
    await fx?.close();
  });

  it('pins, lists and rolls back with the token from STREAMTUNE_ADMIN_TOKEN, and is refused without it', async () => {
    await expect(run('pin', 'v2')).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    process.env.STREAMTUNE_ADMIN_TOKEN = 'cli-token';
    expect(await run('pin', 'v2')).toMatchObject({ version: 'v2', previous: 'v1', pinned: 'v2' });
    const listed = (await run('versions')) as { versions: { version: string; state: string }[] };
    expect(listed.versions.map((v) => `${v.version}:${v.state}`)).toEqual(['v1:retired', 'v2:pinned', 'v3:candidate']);
    expect(await run('rollback')).toMatchObject({ version: 'v1', previous: 'v2', pinned: 'v1' });
    await expect(run('pin')).rejects.toThrow(/pin needs the version/);
    // `admin` is `models` under its older name: one set of actions (`versions` still means `list`).
    await expect(run('promote')).rejects.toThrow(/unknown action "promote": give one of: list, pin, unpin, rollback/);
  });
});
