import type { Command } from '../args.js';
import { callRpc, defaultAddress } from '../admin-client.js';
import { UsageError } from '../cli-failure.js';

const ACTIONS = {
  list: ['streamtune.v1.Predictor', 'ListVersions'],
  pin: ['streamtune.v1.ModelAdmin', 'Pin'],
  unpin: ['streamtune.v1.ModelAdmin', 'Unpin'],
  rollback: ['streamtune.v1.ModelAdmin', 'Rollback'],
} as const;
/** Older spellings that still work: `versions` (from `streamtune admin versions`). */
const SYNONYMS: Record<string, keyof typeof ACTIONS> = { versions: 'list' };

/**
 * `streamtune models`: the ModelAdmin RPCs and the version list. `streamtune admin`
 * is the same command under its older name (same help, same actions).
 */
export const modelsCommand: Command = {
  name: 'models',
  summary: 'list the versions, pin, unpin or roll back the served model (ModelAdmin RPCs)',
  usage: `Usage: streamtune models (list | pin VERSION | unpin | rollback [--reason TEXT]) [--address HOST:PORT] [--model NAME]

Sends the admin token from STREAMTUNE_ADMIN_TOKEN as "authorization: Bearer <token>"
(the server refuses admin calls when it has no token configured, unless it was
started with serving.allowUnauthenticatedAdmin).
Prints the JSON answer. (\`streamtune admin\` is the older name of this command.)

Example:
  STREAMTUNE_ADMIN_TOKEN=… streamtune models rollback --reason "accuracy dropped" --address 127.0.0.1:50051`,
  options: {
    address: { type: 'string' },
    reason: { type: 'string' },
  },
  async run(values, positionals) {
    const [given, version] = positionals;
    const action = given && (given in ACTIONS ? (given as keyof typeof ACTIONS) : SYNONYMS[given]);
    if (!action) throw new UsageError(`${given ? `unknown action "${given}": ` : ''}give one of: ${Object.keys(ACTIONS).join(', ')}`);
    if (action === 'pin' && !version) throw new UsageError('pin needs the version, e.g. `streamtune models pin v3`');
    const [service, method] = ACTIONS[action];
    const req = { model: (values.model as string | undefined) ?? '', ...(action === 'pin' ? { version } : {}), ...(action === 'rollback' ? { reason: values.reason ?? '' } : {}) };
    const address = (values.address as string | undefined) ?? defaultAddress();
    process.stdout.write(`${JSON.stringify(await callRpc(address, service, method, req))}\n`);
    return 0;
  },
};

/** The older name: the same command object, so help and actions cannot drift apart. */
export const adminCommand = modelsCommand;
