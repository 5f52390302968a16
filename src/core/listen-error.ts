import { ConfigError } from './streamtune-error.js';

/**
 * A port that cannot be listened on, as the configuration error it is (naming the
 * key and what to do) when the address is taken or not available; other errors
 * pass through unchanged.
 *
 * @example
 * server.once('error', (err) => reject(listenError('metrics.port', '127.0.0.1:9464', err)));
 */
export function listenError(key: string, address: string, err: Error): Error {
  const why = /EADDRINUSE/.test(err.message) ? 'the address is in use (another server?)' : /EADDRNOTAVAIL|EACCES/.test(err.message) ? 'the address is not available to this process' : '';
  return why ? new ConfigError(key, `cannot listen on ${address}: ${why}; choose another port (0 picks a free one)`) : err;
}
