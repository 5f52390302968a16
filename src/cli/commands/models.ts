import { ConfigError } from '../../core/index.js';
import type { Command } from '../args.js';
import { callRpc, defaultAddress } from '../admin-client.js';

const ACTIONS = {
  list: ['streamtune.v1.Predictor', 'ListVersions'],
  versions: ['streamtune.v1.Predictor', 'ListVersions'],
  pin: ['streamtune.v1.ModelAdmin', 'Pin'],
  unpin: ['streamtune.v1.ModelAdmin', 'Unpin'],
  rollback: ['streamtune.v1.ModelAdmin', 'Rollback'],
} as const;

/** `streamtune models` and its older name `streamtune admin` (same actions; `versions` = `list`). */
function modelsCommandNamed(name: 'models' | 'admin', list: 'list' | 'versions'): Command {
  return {
    name,
    summary: name === 'models' ? 'list the versions, pin, unpin or roll back the served model (ModelAdmin RPCs)' : `the same as \`streamtune models\` (older name)`,
    usage: `Usage: streamtune ${name} (${list} | pin VERSION | unpin | rollback [--reason TEXT]) [--address HOST:PORT] [--model NAME]

Sends the admin token from STREAMTUNE_ADMIN_TOKEN as "authorization: Bearer <token>"
(the server refuses admin calls when it has no token configured, unless it was
started with serving.allowUnauthenticatedAdmin).
Prints the JSON answer.

Example:
  STREAMTUNE_ADMIN_TOKEN=… streamtune ${name} rollback --reason "accuracy dropped" --address 127.0.0.1:50051`,
    options: {
      address: { type: 'string' },
      reason: { type: 'string' },
    },
    async run(values, positionals) {
      const [action, version] = positionals;
      const model = (values.model as string | undefined) ?? '';
      const names = [list, 'pin', 'unpin', 'rollback'];
      const what = action && (names.includes(action) || action === 'list' || action === 'versions') ? ACTIONS[action as keyof typeof ACTIONS] : undefined;
      if (!what) throw new ConfigError('action', `give one of: ${names.join(', ')}\n\n${this.usage}`);
      if (action === 'pin' && !version) throw new ConfigError('version', `pin needs the version, e.g. \`streamtune ${name} pin v3\``);
      const req = { model, ...(action === 'pin' ? { version } : {}), ...(action === 'rollback' ? { reason: values.reason ?? '' } : {}) };
      const address = (values.address as string | undefined) ?? defaultAddress();
      process.stdout.write(`${JSON.stringify(await callRpc(address, what[0], what[1], req))}\n`);
      return 0;
    },
  };
}

export const modelsCommand = modelsCommandNamed('models', 'list');
export const adminCommand = modelsCommandNamed('admin', 'versions');
