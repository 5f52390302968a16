import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/index.js';
import { createMetrics, startMetricsServer } from '../../src/ops/index.js';
import { PredictorClient } from '../../src/serving/index.js';
import { startServingFixture, type ServingFixture } from '../helpers/serving-fixture.js';

/** A self-signed certificate for localhost/127.0.0.1, made with openssl for this test only. */
async function selfSigned(dir: string, name: string): Promise<{ cert: string; key: string }> {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${name}`,
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert,
  ], { stdio: 'ignore' });
  return { cert, key };
}

describe('TLS', () => {
  let dir: string;
  let server: { cert: string; key: string };
  let client: { cert: string; key: string };
  let tls: ServingFixture;
  let mtls: ServingFixture;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-tls-'));
    server = await selfSigned(dir, 'server');
    client = await selfSigned(dir, 'client');
    tls = await startServingFixture({ versions: 1, serving: { tls: { certFile: server.cert, keyFile: server.key } } });
    mtls = await startServingFixture({ versions: 1, serving: { tls: { certFile: server.cert, keyFile: server.key, clientCaFile: client.cert } } });
  });

  afterAll(async () => {
    await tls?.close();
    await mtls?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const predictOver = async (address: string, creds: grpc.ChannelCredentials): Promise<string> => {
    const c = new PredictorClient(address, creds);
    try {
      return (await c.predict([{ features: [1, 2, 3, 4] }], { deadlineMs: 5000 })).version;
    } finally {
      c.close();
    }
  };

  it('round-trips Predict over TLS with the server certificate as the trusted root; plaintext is refused', async () => {
    const ca = await fs.readFile(server.cert);
    expect(await predictOver(tls.app.grpc!.address, grpc.credentials.createSsl(ca))).toBe('v1');
    await expect(predictOver(tls.app.grpc!.address, grpc.credentials.createInsecure())).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
  });

  it('mutual TLS: a client with a certificate the configured client CA signed gets through, one without is refused', async () => {
    const ca = await fs.readFile(server.cert);
    const withCert = grpc.credentials.createSsl(ca, await fs.readFile(client.key), await fs.readFile(client.cert));
    expect(await predictOver(mtls.app.grpc!.address, withCert)).toBe('v1');
    await expect(predictOver(mtls.app.grpc!.address, grpc.credentials.createSsl(ca))).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
  });

  /** GET over HTTPS trusting `ca`, with a client certificate when given; resolves with the status or rejects. */
  const httpsGet = (url: string, opts: { ca: Buffer; cert?: Buffer; key?: Buffer }): Promise<number> =>
    new Promise((resolve, reject) => {
      https.get(url, opts, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });

  it('KServe v2 REST is HTTPS with the same certificate, and mTLS with the same client CA', async () => {
    const ca = await fs.readFile(server.cert);
    expect(tls.app.grpc!.rest!.url).toMatch(/^https:\/\//);
    expect(await httpsGet(`${tls.app.grpc!.rest!.url}/v2/health/ready`, { ca })).toBe(200);
    await expect(fetch(`${tls.app.grpc!.rest!.url.replace('https:', 'http:')}/v2/health/ready`)).rejects.toThrow();
    const withCert = { ca, cert: await fs.readFile(client.cert), key: await fs.readFile(client.key) };
    expect(await httpsGet(`${mtls.app.grpc!.rest!.url}/v2/health/ready`, withCert)).toBe(200);
    await expect(httpsGet(`${mtls.app.grpc!.rest!.url}/v2/health/ready`, { ca })).rejects.toThrow();
  });

  it('metrics are HTTPS with metrics.tls (and mTLS with its client CA)', async () => {
    const ca = await fs.readFile(server.cert);
    const registry = createMetrics({ defaultMetrics: false }).registry;
    const plain = await startMetricsServer(registry, { port: 0, tls: { certFile: server.cert, keyFile: server.key } });
    const mutual = await startMetricsServer(registry, { port: 0, tls: { certFile: server.cert, keyFile: server.key, clientCaFile: client.cert } });
    try {
      expect(plain.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/metrics$/);
      expect(await httpsGet(plain.url, { ca })).toBe(200);
      await expect(fetch(plain.url.replace('https:', 'http:'))).rejects.toThrow();
      expect(await httpsGet(mutual.url, { ca, cert: await fs.readFile(client.cert), key: await fs.readFile(client.key) })).toBe(200);
      await expect(httpsGet(mutual.url, { ca })).rejects.toThrow();
    } finally {
      await plain.close();
      await mutual.close();
    }
    await expect(startMetricsServer(registry, { port: 0, tls: { certFile: path.join(dir, 'none.crt'), keyFile: server.key } })).rejects.toThrow(/^invalid configuration "metrics\.tls\.certFile": cannot read/);
  });

  it('refuses plaintext on a non-loopback host unless asked, naming the key', () => {
    expect(() => loadConfig({ overrides: { serving: { host: '0.0.0.0' } } })).toThrow(/"serving\.tls": plaintext gRPC is served on loopback only/);
    expect(loadConfig({ overrides: { serving: { host: '0.0.0.0', allowPlaintextNetwork: true } } }).serving.host).toBe('0.0.0.0');
  });
});
