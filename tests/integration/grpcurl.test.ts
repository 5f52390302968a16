/**
 * The real grpcurl (protobuf-go, the strictest reflection client) against a real
 * server, through server reflection only (no -proto): it must list, describe and
 * call every service, and every grpcurl command in README.md and docs/api.md must
 * work as written.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentedCommands, grpcurlBin, run } from '../helpers/outside-tools.js';
import { startServingFixture, type ServingFixture } from '../helpers/serving-fixture.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const TOKEN = 'doc-token';
const SERVICES = [
  'grpc.health.v1.Health',
  'grpc.reflection.v1.ServerReflection',
  'grpc.reflection.v1alpha.ServerReflection',
  'inference.GRPCInferenceService',
  'streamtune.v1.Diagnostics',
  'streamtune.v1.ModelAdmin',
  'streamtune.v1.Predictor',
];
const digits = (n = 64): number[] => Array.from({ length: n }, (_, i) => (i * 7) % 17);

describe('grpcurl through server reflection (no proto files)', () => {
  let fx: ServingFixture;
  let bin: string;
  let address: string;
  const grpcurl = async (...args: string[]): Promise<{ status: number | null; out: string }> => {
    const r = await run(bin, ['-plaintext', ...args], { timeoutMs: 30_000 });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  };
  const call = async (method: string, body?: object, ...flags: string[]): Promise<Record<string, unknown>> => {
    const r = await grpcurl(...flags, ...(body ? ['-d', JSON.stringify(body)] : []), address, method);
    expect({ method, status: r.status, out: r.out }).toMatchObject({ status: 0 });
    return JSON.parse(r.out) as Record<string, unknown>;
  };

  beforeAll(async () => {
    bin = grpcurlBin();
    fx = await startServingFixture({ model: 'digits', dim: 64, labels: [...'0123456789'], versions: 4, serving: { adminToken: TOKEN } });
    address = fx.app.grpc!.address;
  });

  afterAll(async () => {
    await fx?.close();
  });

  it('lists every service, health and reflection included', async () => {
    const r = await grpcurl(address, 'list');
    expect(r.status).toBe(0);
    expect(r.out.trim().split('\n').sort()).toEqual(SERVICES);
  });

  it('describes every service and every message its methods take or return, map fields included', async () => {
    const messages = new Set(['streamtune.v1.Views', 'streamtune.v1.Prediction', 'inference.ModelInferRequest', 'inference.ModelInferResponse', 'grpc.health.v1.HealthListResponse']);
    for (const service of SERVICES) {
      const r = await grpcurl(address, 'describe', service);
      expect({ service, status: r.status, out: r.out }).toMatchObject({ status: 0, out: expect.stringContaining(`${service} is a service`) });
      for (const m of r.out.matchAll(/\( (?:stream )?\.([\w.]+) \)/g)) messages.add(m[1]!);
    }
    expect(messages.size).toBeGreaterThan(20);
    for (const message of messages) {
      const r = await grpcurl(address, 'describe', message);
      expect({ message, status: r.status, out: r.out }).toMatchObject({ status: 0, out: expect.stringContaining(`${message} is a message`) });
    }
    expect((await grpcurl(address, 'describe', 'streamtune.v1.Views')).out).toContain('map<string, .streamtune.v1.FeatureVector> views = 1;');
    expect((await grpcurl(address, 'describe', 'inference.ModelInferRequest')).out).toContain('map<string, .inference.InferParameter> parameters = 4;');
  });

  it('calls every service', async () => {
    const predicted = await call('streamtune.v1.Predictor/Predict', { instances: [{ features: { values: digits() } }, { features: { values: digits().reverse() } }] });
    expect(predicted).toMatchObject({ model: 'digits', version: 'v1' });
    expect((predicted.predictions as { label: string; scores: Record<string, number> }[]).map((p) => Object.keys(p.scores).length)).toEqual([10, 10]);
    expect(await call('streamtune.v1.Predictor/GetModel')).toMatchObject({ name: 'digits', inputDim: 64, labels: [...'0123456789'] });
    expect(((await call('streamtune.v1.Predictor/ListVersions')).versions as unknown[]).length).toBe(4);
    expect(await call('grpc.health.v1.Health/Check', { service: 'streamtune.v1.Predictor' })).toEqual({ status: 'SERVING' });
    expect(await call('inference.GRPCInferenceService/ServerReady')).toEqual({ ready: true });
    const infer = await call('inference.GRPCInferenceService/ModelInfer', { inputs: [{ name: 'input', datatype: 'FP64', shape: [1, 64], contents: { fp64_contents: digits() } }] });
    expect((infer.outputs as { name: string }[]).map((o) => o.name)).toEqual(['probabilities', 'label', 'confidence']);
    expect(await call('streamtune.v1.Diagnostics/Echo', { payload: Buffer.from('hi').toString('base64') })).toEqual({ payload: 'aGk=' });
    const reflection = await call('grpc.reflection.v1.ServerReflection/ServerReflectionInfo', { list_services: '*' });
    expect((reflection.listServicesResponse as { service: { name: string }[] }).service.map((s) => s.name).sort()).toEqual(SERVICES);
    const refused = await grpcurl('-d', JSON.stringify({ version: 'v2' }), address, 'streamtune.v1.ModelAdmin/Pin');
    expect(refused).toMatchObject({ status: 64 + 16, out: expect.stringContaining('Unauthenticated') });
  });

  it('every grpcurl command in README.md and docs/api.md works as written', async () => {
    const commands = documentedCommands('grpcurl', [path.join(ROOT, 'README.md'), path.join(ROOT, 'docs', 'api.md')]);
    expect(commands.length).toBeGreaterThanOrEqual(10);
    for (const { file, command } of commands) {
      // The documented address is the default one; a stream runs until Ctrl-C, so it gets a deadline here
      // (long enough for grpcurl's reflection round trips and the first event on a loaded machine).
      const streams = /WatchModel/.test(command);
      const line = command.replace(/^grpcurl /, `${JSON.stringify(bin)} ${streams ? '-max-time 10 ' : ''}`).replaceAll('127.0.0.1:50051', address);
      const r = await run('bash', ['-c', line], { env: { ...process.env, STREAMTUNE_ADMIN_TOKEN: TOKEN }, timeoutMs: 30_000 });
      const out = `${r.stdout}${r.stderr}`;
      if (streams) expect({ file, command, out }).toMatchObject({ out: expect.stringContaining('"type": "current"') });
      else expect({ file, command, status: r.status, out }).toMatchObject({ status: 0 });
    }
  });
});
