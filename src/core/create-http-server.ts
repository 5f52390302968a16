import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import { httpsOptions, type TlsFiles } from './tls-files.js';

/** How long a client may take, and how many may be connected, before the server lets go of it. */
export interface HttpLimits {
  /** A connection that sends nothing for this long (before its first request, or gone quiet) is closed; a request being answered is never cut. */
  idleTimeoutMs: number;
  /** All headers of a request must arrive within this (else 408), however slowly they trickle. */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this (else 408). */
  requestTimeoutMs: number;
  /** A keep-alive connection is closed this long after its last answer. */
  keepAliveTimeoutMs: number;
  /** Open connections at most; a connection over the cap is closed as it arrives. */
  maxConnections: number;
}

/** The limits of every HTTP port; `serving.http` takes its defaults from here. */
export const HTTP_LIMITS: Readonly<HttpLimits> = {
  idleTimeoutMs: 15_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 1024,
};

/**
 * An HTTP server (HTTPS with `tls`) that closes idle and slow connections and
 * caps how many are open. Node's header deadline alone does not close every
 * connection that never sends a byte (it skips some while another connection is
 * kept alive; 2,000 such connections were all open after 70 s): the idle timeout does.
 * `tlsSection` names the configuration keys in file errors (`metrics.tls`).
 *
 * @example
 * const server = createHttpServer((req, res) => res.end('ok'), { tls: config.metrics.tls, tlsSection: 'metrics.tls' });
 */
export function createHttpServer(
  handler: http.RequestListener,
  opts: { tls?: TlsFiles; tlsSection?: string; limits?: Partial<HttpLimits> } = {},
): http.Server {
  const limits = { ...HTTP_LIMITS, ...opts.limits };
  const options: http.ServerOptions = {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node checks the header and request deadlines on this period (30 s by default).
    connectionsCheckingInterval: Math.max(50, Math.min(1000, limits.headersTimeoutMs / 4)),
  };
  const server = opts.tls ? https.createServer({ ...options, ...httpsOptions(opts.tls, opts.tlsSection) }, handler) : http.createServer(options, handler);
  server.maxConnections = limits.maxConnections;
  // Sockets whose request is being answered: a slow answer (a long inference) is not idleness.
  const busy = new WeakSet<Socket>();
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    busy.add(req.socket);
    res.once('close', () => busy.delete(req.socket));
  });
  server.setTimeout(limits.idleTimeoutMs);
  server.on('timeout', (socket: Socket) => {
    if (!busy.has(socket)) socket.destroy();
  });
  return server;
}
