/**
 * Rough edges a new user found with outside clients: grpcurl's WatchModel on a
 * model that is not served, curl's HEAD on the health routes, and the digits of
 * REST FP32 outputs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { curlBin, grpcurlBin, run } from '../helpers/outside-tools.js';
import { startServingFixture, type ServingFixture } from '../helpers/serving-fixture.js';

describe('serving edges, with grpcurl and curl', () => {
  let fx: ServingFixture;

  beforeAll(async () => {
    fx = await startServingFixture({ versions: 1 });
  });

  afterAll(async () => {
    await fx?.close();
  });

  it('WatchModel on a model that is not served ends with NOT_FOUND at once, not at the deadline', async () => {
    // A 60 s deadline: a stream left open would end DeadlineExceeded, not NotFound.
    const r = await run(grpcurlBin(), ['-plaintext', '-max-time', '60', '-d', '{"model":"nope"}', fx.app.grpc!.address, 'streamtune.v1.Predictor/WatchModel'], { timeoutMs: 90_000 });
    expect({ status: r.status, out: r.stdout + r.stderr }).toEqual({ status: 64 + 5, out: expect.stringMatching(/Code: NotFound\s+Message: model "nope" is not served here \(serving: m\)/) });
    // The served model still streams its current version first.
    const ok = await run(grpcurlBin(), ['-plaintext', '-max-time', '2', '-d', '{"model":"m"}', fx.app.grpc!.address, 'streamtune.v1.Predictor/WatchModel'], { timeoutMs: 30_000 });
    expect(ok.stdout).toContain('"type": "current"');
  });

  it('HEAD on the health routes answers 200 without a body, as GET does', async () => {
    const rest = fx.app.grpc!.rest!.url;
    for (const route of ['/v2/health/live', '/v2/health/ready', '/v2/models/m/ready', '/v2']) {
      const r = await run(curlBin(), ['-sS', '-I', `${rest}${route}`], { timeoutMs: 30_000 });
      expect({ route, status: r.status, line: r.stdout.split('\r\n')[0] }).toEqual({ route, status: 0, line: 'HTTP/1.1 200 OK' });
    }
    const put = await run(curlBin(), ['-sS', '-X', 'PUT', '-o', '/dev/null', '-w', '%{http_code}', `${rest}/v2/health/live`], { timeoutMs: 30_000 });
    expect(put.stdout).toBe('405');
  });

  it('REST FP32 outputs carry float32 digits (shortest form that reads back as the same float32)', async () => {
    const body = JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 4], data: [1, 2, 3, 4, 0.1, -1, 0.5, 2] }] });
    const r = await run(curlBin(), ['-sS', '-X', 'POST', '-H', 'content-type: application/json', '-d', body, `${fx.app.grpc!.rest!.url}/v2/models/m/infer`], { timeoutMs: 30_000 });
    const answer = JSON.parse(r.stdout) as { outputs: { name: string; data: number[] }[] };
    const values = answer.outputs.filter((o) => o.name !== 'label').flatMap((o) => o.data);
    expect(values.length).toBe(2 * 3 + 2);
    const digits = (v: number): number => v.toExponential().replace(/^-?(\d)\.?(\d*)e.*$/, '$1$2').length;
    for (const v of values) {
      const f = Math.fround(v);
      // At most 9 significant digits (float64 digits of a float32 run to 17), and no fewer would read back as the same float32.
      expect(digits(v)).toBeLessThanOrEqual(9);
      expect(Number(f.toPrecision(digits(v)))).toBe(v);
      if (digits(v) > 1) expect(Math.fround(Number(f.toPrecision(digits(v) - 1)))).not.toBe(f);
    }
    // Before, each value was its float32's float64 digits (v === Math.fround(v)); probabilities are rarely exact binary fractions.
    expect(values.some((v) => Math.fround(v) !== v)).toBe(true);
  });
});
