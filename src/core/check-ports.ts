import * as net from 'node:net';
import { listenError } from './listen-error.js';

/** A port a server will listen on, and the config key that sets it. */
export interface PlannedPort {
  key: string;
  host: string;
  /** 0 (any free port) is never checked. */
  port: number;
}

/**
 * Listens on each fixed port for a moment and lets it go, so a server can say that
 * a port is taken (the one-line configuration error of {@link listenError}) before
 * it loads models and logs its start. The real bind may still lose a race with
 * another process: it reports the same error.
 *
 * @example
 * await checkPortsFree([{ key: 'serving.port', host: '127.0.0.1', port: 50051 }]);
 */
export async function checkPortsFree(ports: readonly PlannedPort[]): Promise<void> {
  for (const { key, host, port } of ports) {
    if (port === 0) continue;
    await new Promise<void>((resolve, reject) => {
      const probe = net.createServer();
      probe.once('error', (err) => reject(listenError(key, `${host}:${port}`, err)));
      probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
    });
  }
}
