import * as grpc from '@grpc/grpc-js';
import { ConfigError } from '../../errors/index.js';
import { serviceConstructor } from '../../serving/index.js';
import type { Command } from '../args.js';

type Client = grpc.Client & Record<string, (...a: unknown[]) => void>;

function call<T>(client: Client, method: string, req: object, metadata: grpc.Metadata): Promise<T> {
  return new Promise((resolve, reject) =>
    client[method]!(req, metadata, { deadline: Date.now() + 30_000 }, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res))),
  );
}

export const adminCommand: Command = {
  name: 'admin',
  summary: 'list versions, pin, unpin or roll back the served model (ModelAdmin RPCs)',
  usage: `Usage: streamtune admin (versions | pin VERSION | unpin | rollback [--reason TEXT]) [--address HOST:PORT] [--model NAME]

Sends the admin token from STREAMTUNE_ADMIN_TOKEN as "authorization: Bearer <token>".
Prints the JSON answer.

Example:
  STREAMTUNE_ADMIN_TOKEN=… streamtune admin rollback --reason "accuracy dropped" --address 127.0.0.1:50051`,
  options: {
    address: { type: 'string' },
    reason: { type: 'string' },
  },
  async run(values, positionals) {
    const [action, version] = positionals;
    const model = (values.model as string | undefined) ?? '';
    const requests: Record<string, [service: string, method: string, req: object]> = {
      versions: ['streamtune.v1.Predictor', 'ListVersions', { model }],
      pin: ['streamtune.v1.ModelAdmin', 'Pin', { model, version }],
      unpin: ['streamtune.v1.ModelAdmin', 'Unpin', { model }],
      rollback: ['streamtune.v1.ModelAdmin', 'Rollback', { model, reason: values.reason ?? '' }],
    };
    const what = action ? requests[action] : undefined;
    if (!what) throw new ConfigError('action', `give one of: ${Object.keys(requests).join(', ')}\n\n${this.usage}`);
    if (action === 'pin' && !version) throw new ConfigError('version', 'pin needs the version, e.g. `streamtune admin pin v3`');
    const [service, method, req] = what;
    const Ctor = serviceConstructor(service);
    const address = (values.address as string | undefined) ?? `127.0.0.1:${process.env.STREAMTUNE_GRPC_PORT ?? 50051}`;
    const client = new Ctor(address, grpc.credentials.createInsecure()) as unknown as Client;
    const metadata = new grpc.Metadata();
    if (process.env.STREAMTUNE_ADMIN_TOKEN) metadata.set('authorization', `Bearer ${process.env.STREAMTUNE_ADMIN_TOKEN}`);
    try {
      process.stdout.write(`${JSON.stringify(await call(client, method, req, metadata))}\n`);
      return 0;
    } finally {
      client.close();
    }
  },
};
