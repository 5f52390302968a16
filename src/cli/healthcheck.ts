import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { defaultAddress } from './admin-client.js';
import { intFlag } from './args.js';
import type { Command } from './args.js';
import { UsageError } from './cli-failure.js';

type HealthClient = grpc.Client & {
  check(req: { service: string }, options: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: { status: string | number }) => void): void;
};
const HealthClient = grpc.makeClientConstructor(healthService as grpc.ServiceDefinition, 'grpc.health.v1.Health') as unknown as new (
  address: string,
  creds: grpc.ChannelCredentials,
) => HealthClient;

/**
 * Asks a server's standard gRPC health service (`grpc.health.v1.Health/Check`)
 * whether it serves: the container health check of docker-compose.yml.
 *
 * @example
 * streamtune healthcheck --address 127.0.0.1:50051   # exit 0 when SERVING
 */
export const healthcheckCommand: Command = {
  name: 'healthcheck',
  usage: `Usage: streamtune healthcheck [--address HOST:PORT] [--service NAME] [--timeout-ms MS]

Calls grpc.health.v1.Health/Check on the server at --address (default
127.0.0.1:$STREAMTUNE_GRPC_PORT, 50051) for --service (default "", the whole
server). Prints the status; exits 0 for SERVING, 1 for any other status or no answer.

Example:
  streamtune healthcheck --address 127.0.0.1:50051 --timeout-ms 3000`,
  options: {
    address: { type: 'string' },
    service: { type: 'string' },
    'timeout-ms': { type: 'string' },
  },
  async run(values) {
    const address = (values.address as string | undefined) ?? defaultAddress();
    const timeoutMs = intFlag(values, 'timeout-ms') ?? 3000;
    if (timeoutMs <= 0) throw new UsageError(`--timeout-ms ${timeoutMs} must be positive`);
    const client = new HealthClient(address, grpc.credentials.createInsecure());
    try {
      const status = await new Promise<string>((resolve) =>
        client.check({ service: (values.service as string | undefined) ?? '' }, { deadline: Date.now() + timeoutMs }, (err, res) =>
          resolve(err ? `no answer (${grpc.status[err.code] ?? err.code}: ${err.details})` : String(res?.status)),
        ),
      );
      process.stdout.write(`${address} ${status}\n`);
      return status === 'SERVING' ? 0 : 1;
    } finally {
      client.close();
    }
  },
};
