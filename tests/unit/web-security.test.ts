import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { trainerLaunch } from '../../src/app/trainer-secrets.js';
import { loadConfig, type Config } from '../../src/core/index.js';
import { LabellingSessions, OriginGuard } from '../../src/labelling/index.js';

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

  it('the labelling page likewise, and 127.0.0.2 is not loopback for any port', () => {
    for (const host of ['127.0.0.2', '0.0.0.0', 'label.example.com']) {
      expect(refused(() => loadConfig({ overrides: { labelling: { host } } }))).toMatch(/^invalid configuration "labelling\.tls": the plaintext labelling page is served on loopback only: set labelling\.tls/);
    }
    expect(refused(() => loadConfig({ overrides: { serving: { host: '127.0.0.2' } } }))).toMatch(/^invalid configuration "serving\.tls": plaintext gRPC is served on loopback only, and so is REST/);
    expect(loadConfig({ env: { STREAMTUNE_LABEL_ALLOW_PLAINTEXT_NETWORK: '1' }, overrides: { labelling: { host: '0.0.0.0' } } }).labelling.host).toBe('0.0.0.0');
  });

  it('REST limits are consistent', () => {
    expect(refused(() => loadConfig({ overrides: { serving: { http: { headersTimeoutMs: 5000, requestTimeoutMs: 1000 } } } }))).toMatch(/"serving\.http\.requestTimeoutMs": must be at least serving\.http\.headersTimeoutMs/);
    expect(loadConfig().serving.http).toMatchObject({ idleTimeoutMs: 15_000, headersTimeoutMs: 10_000, requestTimeoutMs: 60_000, keepAliveTimeoutMs: 5000, maxConnections: 1024 });
  });

  it('a labelling token is 16 characters or more; origins are http(s) URLs', () => {
    expect(refused(() => loadConfig({ env: { STREAMTUNE_LABEL_TOKEN: 'short' } }))).toMatch(/^invalid configuration "labelling\.token": at least 16 characters/);
    expect(loadConfig({ env: { STREAMTUNE_LABEL_TOKEN: 'a'.repeat(16) } }).labelling.token).toBe('a'.repeat(16));
    expect(refused(() => loadConfig({ overrides: { labelling: { origins: ['javascript:alert(1)'] } } }))).toMatch(/"labelling\.origins\.0"/);
    expect(loadConfig({ overrides: { labelling: { origins: ['https://label.example.com'] } } }).labelling.origins).toEqual(['https://label.example.com']);
  });
});

describe('the trainer process gets no server secret', () => {
  it('drops the admin and labelling tokens from its environment and from its configuration', () => {
    const env = { STREAMTUNE_ADMIN_TOKEN: 'admin-secret-123', STREAMTUNE_LABEL_TOKEN: 'label-secret-1234', KAFKA_BROKERS: 'k:9092', PATH: '/bin' };
    const config = loadConfig({ env });
    expect([config.serving.adminToken, config.labelling.token]).toEqual(['admin-secret-123', 'label-secret-1234']);
    const child = trainerLaunch(config, env).env;
    expect(JSON.stringify(child)).not.toMatch(/admin-secret-123|label-secret-1234/);
    expect(child).toMatchObject({ KAFKA_BROKERS: 'k:9092', PATH: '/bin' });
    const trainerConfig = JSON.parse(child.STREAMTUNE_TRAINER_CONFIG!) as Config;
    // What the trainer needs is whole: the same config but for the two blanked secrets.
    expect(loadConfig({ overrides: trainerConfig as never })).toEqual({ ...config, serving: { ...config.serving, adminToken: '' }, labelling: { ...config.labelling, token: '' } });
    expect(env.STREAMTUNE_LABEL_TOKEN).toBe('label-secret-1234'); // the server's own environment is untouched
  });
});

describe('LabellingSessions', () => {
  it('logs in with the token only, into an HttpOnly SameSite=Strict cookie that expires', () => {
    let now = 1000;
    const s = new LabellingSessions({ token: 'the-login-token-1', cookieName: 'streamtune_label_8712', ttlMs: 60_000, now: () => now });
    for (const wrong of ['', 'the-login-token-', 'the-login-token-12', 'THE-LOGIN-TOKEN-1', undefined, 42, ['the-login-token-1']]) expect(s.login(wrong)).toBeUndefined();
    const cookie = s.login('the-login-token-1')!;
    expect(cookie).toMatch(/^streamtune_label_8712=[\w-]{43}; Path=\/; Max-Age=60; HttpOnly; SameSite=Strict$/);
    const header = `other=1; ${cookie.split(';')[0]}`;
    expect(s.valid(header)).toBe(true);
    expect(s.valid(header.replace('_8712=', '_8713='))).toBe(false); // another labelling server's cookie
    expect(s.valid('streamtune_label_8712=forged')).toBe(false);
    expect(s.valid(undefined)).toBe(false);
    now += 60_001;
    expect(s.valid(header)).toBe(false);
  });

  it('random tokens differ; an empty token is refused; Secure over HTTPS; logout ends the session', () => {
    expect(LabellingSessions.randomToken()).toMatch(/^[\w-]{32}$/);
    expect(LabellingSessions.randomToken()).not.toBe(LabellingSessions.randomToken());
    expect(() => new LabellingSessions({ token: '' })).toThrow(/"labelling\.token"/);
    const a = new LabellingSessions({ token: 'another-login-token', secure: true });
    const cookie = a.login('another-login-token')!;
    expect(cookie).toMatch(/; Secure$/);
    const header = cookie.split(';')[0];
    expect(a.logout(header)).toBe('streamtune_label_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict; Secure');
    expect(a.valid(header)).toBe(false);
  });
});

describe('OriginGuard', () => {
  const req = (method: string, headers: Record<string, string>, url = '/api/label'): IncomingMessage => ({ method, url, headers }) as unknown as IncomingMessage;
  const guard = new OriginGuard({ port: 8712, tls: false, origins: ['https://label.example.com'] });

  it('takes the page’s own origin, IP or localhost hosts on its port, and configured origins', () => {
    for (const [host, origin] of [
      ['127.0.0.1:8712', 'http://127.0.0.1:8712'],
      ['localhost:8712', 'http://localhost:8712'],
      ['[::1]:8712', 'http://[::1]:8712'],
      ['10.1.2.3:8712', 'http://10.1.2.3:8712'],
      ['label.example.com', 'https://label.example.com'],
    ]) {
      expect(guard.refusal(req('POST', { host: host!, origin: origin!, 'sec-fetch-site': 'same-origin' }))).toBeUndefined();
    }
    // Clients that are not browsers send no Origin (they still need a session).
    expect(guard.refusal(req('POST', { host: '127.0.0.1:8712' }))).toBeUndefined();
    // Another site may link to the page itself.
    expect(guard.refusal(req('GET', { host: '127.0.0.1:8712', 'sec-fetch-site': 'cross-site' }, '/'))).toBeUndefined();
  });

  it('refuses other origins, other sites’ API calls and DNS-rebound or odd Host headers', () => {
    const cases: [IncomingMessage, RegExp][] = [
      [req('POST', { host: '127.0.0.2:8712', origin: 'http://evil.example' }), /cross-site request refused: Origin http:\/\/evil\.example/],
      [req('POST', { host: '127.0.0.1:8712', origin: 'http://127.0.0.1:9999' }), /Origin http:\/\/127\.0\.0\.1:9999 is not this page/],
      [req('POST', { host: '127.0.0.1:8712', origin: 'null' }), /Origin null/],
      [req('POST', { host: '127.0.0.1:8712', origin: 'https://127.0.0.1:8712' }), /cross-site/],
      [req('GET', { host: '127.0.0.1:8712', 'sec-fetch-site': 'cross-site' }, '/api/next'), /Sec-Fetch-Site: cross-site/],
      [req('GET', { host: '127.0.0.1:8712', 'sec-fetch-site': 'same-site' }, '/api/items/x/features.png'), /Sec-Fetch-Site: same-site/],
      [req('GET', { host: 'rebind.evil.example:8712' }, '/'), /Host "rebind\.evil\.example:8712" is not this labelling page/],
      [req('GET', { host: '127.0.0.1:9999' }, '/'), /Host/],
      [req('GET', { host: '127.0.0.1' }, '/'), /Host/],
      [req('GET', { host: 'user@127.0.0.1:8712' }, '/'), /Host/],
      [req('GET', {}, '/'), /Host ""/],
    ];
    for (const [r, why] of cases) expect(guard.refusal(r)).toMatch(why);
  });
});
