import * as grpc from '@grpc/grpc-js';

/** A connection that did not come up, shaped like the ServiceError a call would have failed with. */
export interface ConnectionFailure extends Error {
  code: grpc.status;
  details: string;
}

/**
 * Resolves once the client's channel is READY; rejects as soon as a connection
 * attempt fails (refused, unknown host) or after `timeoutMs` (nothing answers),
 * with code UNAVAILABLE and the reason in `details`. A command line tool calls it
 * first, so "no server there" is known in milliseconds, not at the call's deadline.
 *
 * @example
 * await waitForConnection(client, 5000); // then make the call with its own deadline
 */
export function waitForConnection(client: grpc.Client, timeoutMs = 5000): Promise<void> {
  const channel = client.getChannel();
  const deadline = Date.now() + timeoutMs;
  const fail = (details: string): ConnectionFailure => Object.assign(new Error(`UNAVAILABLE: ${details}`), { code: grpc.status.UNAVAILABLE, details });
  return new Promise((resolve, reject) => {
    const watch = (state: grpc.connectivityState): void => {
      if (state === grpc.connectivityState.READY) return resolve();
      if (state === grpc.connectivityState.TRANSIENT_FAILURE || state === grpc.connectivityState.SHUTDOWN) {
        return reject(fail('connection refused or host unreachable'));
      }
      channel.watchConnectivityState(state, deadline, (err) => {
        if (err) reject(fail(`nothing answered within ${timeoutMs} ms`));
        else watch(channel.getConnectivityState(false));
      });
    };
    watch(channel.getConnectivityState(true));
  });
}
