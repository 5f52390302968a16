import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/index.js';

const refused = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('every port: plaintext on loopback only unless TLS or an explicit allow', () => {
  it('metrics on a network address needs metrics.tls or metrics.allowPlaintextNetwork, as gRPC does', () => {
    expect(refused(() => loadConfig({ env: { STREAMTUNE_METRICS_HOST: '0.0.0.0' } }))).toBe(
      'invalid configuration "metrics.tls": plaintext metrics are served on loopback only: set metrics.tls (certFile, keyFile) to serve on "0.0.0.0", or metrics.allowPlaintextNetwork=true',
    );
    expect(loadConfig({ env: { STREAMTUNE_METRICS_HOST: '0.0.0.0', STREAMTUNE_METRICS_ALLOW_PLAINTEXT_NETWORK: 'true' } }).metrics.host).toBe('0.0.0.0');
    expect(loadConfig({ overrides: { metrics: { host: '10.0.0.5', tls: { certFile: 'c.pem', keyFile: 'k.pem' } } } }).metrics.tls).toEqual({ certFile: 'c.pem', keyFile: 'k.pem' });
    expect(loadConfig({ overrides: { metrics: { host: '::1' } } }).metrics.host).toBe('::1');
  });

  it('REST limits are consistent', () => {
    expect(refused(() => loadConfig({ overrides: { serving: { http: { headersTimeoutMs: 5000, requestTimeoutMs: 1000 } } } }))).toMatch(/"serving\.http\.requestTimeoutMs": must be at least serving\.http\.headersTimeoutMs/);
    expect(loadConfig().serving.http).toMatchObject({ idleTimeoutMs: 15_000, headersTimeoutMs: 10_000, requestTimeoutMs: 60_000, keepAliveTimeoutMs: 5000, maxConnections: 1024 });
  });
});
