import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { DenseClassifier } from '../../src/learners/index.js';
import { VersionStore } from '../../src/registry/index.js';
import { bearer, clientOf, failure, unary } from '../helpers/grpc-call.js';
import { startServingFixture, type ServingFixture } from '../helpers/serving-fixture.js';

const TOKEN = 'admin-security-token';
const ADMIN_CALLS = [['Pin', { version: 'v2' }], ['Unpin', {}], ['Rollback', { reason: 'x' }]] as const;

describe('ModelAdmin is secure by default (issue 11, D3)', () => {
  let fx: ServingFixture | undefined;
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });

  it('Pin takes registry version names only: a path is INVALID_ARGUMENT, nothing outside the registry is loaded, state.json keeps no path', async () => {
    fx = await startServingFixture({ versions: 2, serving: { adminToken: TOKEN } });
    // A valid model version outside the registry, reachable by "../" from versions/.
    const elsewhere = new VersionStore(path.join(fx.dir, 'elsewhere'));
    const l = new DenseClassifier({ featureSpec: { kind: 'features', dim: 4 }, labels: ['a', 'b', 'c'], hiddenUnits: [8], seed: 175 });
    await elsewhere.save('m', l, { parent: null, regime: 'test', backend: fx.backend, examplesSeen: 0, metrics: {}, offsets: {} });
    l.dispose();
    await fs.rename(elsewhere.versionDir('m', 'v1'), path.join(fx.dir, 'elsewhere', 'm', 'versions', 'v175'));
    const admin = clientOf('streamtune.v1.ModelAdmin', fx.app.grpc!.address);
    for (const version of ['../../elsewhere/m/versions/v175', `${fx.dir}/elsewhere/m/versions/v175`, 'v1/../v2', 'latest', '']) {
      const e = await failure(unary(admin, 'Pin', { version }, { metadata: bearer(TOKEN) }));
      expect({ version, code: e.code }).toEqual({ version, code: grpc.status.INVALID_ARGUMENT });
      expect(e.details).toMatch(/version/);
    }
    admin.close();
    expect(fx.app.holder.version).toBe('v1');
    expect(fx.app.holder.loadedVersions).toEqual(['v1']);
    expect(await fx.app.store.readState('m')).toEqual({ pinned: null, rejected: [] });
  });

  it('a path saved as "pinned" in state.json (by an older server) is not followed at start', async () => {
    fx = await startServingFixture({ versions: 2, latest: 'v2' });
    await fx.app.close();
    await fs.writeFile(path.join(fx.dir, 'm', 'state.json'), JSON.stringify({ pinned: '../../elsewhere/m/versions/v175', rejected: ['../x', 'v1'] }));
    expect(await fx.app.store.readState('m')).toEqual({ pinned: null, rejected: ['v1'] });
  });

  it('with no admin token configured, admin RPCs are refused (PERMISSION_DENIED) and change nothing', async () => {
    fx = await startServingFixture({ versions: 3 });
    const admin = clientOf('streamtune.v1.ModelAdmin', fx.app.grpc!.address);
    for (const [method, req] of ADMIN_CALLS) {
      for (const metadata of [undefined, bearer('anything')]) {
        const e = await failure(unary(admin, method, req, { metadata }));
        expect({ method, code: e.code }).toEqual({ method, code: grpc.status.PERMISSION_DENIED });
        expect(e.details).toMatch(/serving\.adminToken.*serving\.allowUnauthenticatedAdmin/);
      }
    }
    admin.close();
    expect(fx.app.holder.version).toBe('v1');
    expect(await fx.app.store.readState('m')).toEqual({ pinned: null, rejected: [] });
  });

  it('the operator can open admin RPCs explicitly (serving.allowUnauthenticatedAdmin)', async () => {
    fx = await startServingFixture({ versions: 3, serving: { allowUnauthenticatedAdmin: true } });
    const admin = clientOf('streamtune.v1.ModelAdmin', fx.app.grpc!.address);
    expect(await unary(admin, 'Pin', { version: 'v2' })).toMatchObject({ version: 'v2', pinned: 'v2' });
    admin.close();
  });

  it('Pin of an unknown version is NOT_FOUND naming the newest few versions, not the whole history (issue 22)', async () => {
    fx = await startServingFixture({ versions: 12, serving: { adminToken: TOKEN } });
    const admin = clientOf('streamtune.v1.ModelAdmin', fx.app.grpc!.address);
    const e = await failure(unary(admin, 'Pin', { version: 'v99' }, { metadata: bearer(TOKEN) }));
    admin.close();
    expect(e).toMatchObject({ code: grpc.status.NOT_FOUND, details: 'model "m" has no version "v99" (newest of 12: v8, v9, v10, v11, v12)' });
  });

  it('a configured token is required whatever its length; the right one passes', async () => {
    fx = await startServingFixture({ versions: 3, serving: { adminToken: TOKEN, allowUnauthenticatedAdmin: true } });
    const admin = clientOf('streamtune.v1.ModelAdmin', fx.app.grpc!.address);
    for (const metadata of [undefined, bearer('x'), bearer(TOKEN.slice(0, -1)), bearer(`${TOKEN}x`), bearer(TOKEN.toUpperCase())]) {
      expect((await failure(unary(admin, 'Pin', { version: 'v2' }, { metadata }))).code).toBe(grpc.status.UNAUTHENTICATED);
    }
    expect(await unary(admin, 'Pin', { version: 'v2' }, { metadata: bearer(TOKEN) })).toMatchObject({ version: 'v2', pinned: 'v2' });
    admin.close();
  });
});
