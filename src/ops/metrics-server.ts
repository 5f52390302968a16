import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { createHttpServer, listenError, type TlsFiles } from '../core/index.js';

/**
 * Serves `GET /metrics` (Prometheus text format) and `GET /healthz` over HTTP, or
 * HTTPS with `tls` (the `metrics` config section: plaintext off loopback only when
 * `metrics.allowPlaintextNetwork` says so). Idle connections are closed and
 * connections capped as on every port ({@link createHttpServer}).
 *
 * @example
 * const srv = await startMetricsServer(metrics.registry, { port: 9464 });
 * console.log(srv.url); // http://127.0.0.1:9464/metrics
 */
export async function startMetricsServer(
  registry: Registry,
  opts: { host?: string; port?: number; tls?: TlsFiles } = {},
): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const server = createHttpServer((req, res) => {
    if (req.method === 'GET' && req.url?.startsWith('/metrics')) {
      registry.metrics().then(
        (body) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(body);
        },
        (err: Error) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(err.message);
        },
      );
    } else if (req.method === 'GET' && req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found: try /metrics\n');
    }
  }, { tls: opts.tls, tlsSection: 'metrics.tls' });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(listenError('metrics.port', `${host}:${opts.port ?? 0}`, err)));
    server.listen(opts.port ?? 0, host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `${opts.tls ? 'https' : 'http'}://${host}:${port}/metrics`,
    port,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      })),
  };
}
