import { parseArgs, type ParseArgsConfig } from 'node:util';
import { closest, UsageError } from './cli-failure.js';

/** A sub-command: its options, its help (with an example) and what it runs (its one-line summary is in command-list.ts). */
export interface Command {
  name: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(values: Record<string, string | boolean | undefined>, positionals: string[]): Promise<number>;
}

/** Options every command accepts. */
export const COMMON_OPTIONS: NonNullable<ParseArgsConfig['options']> = {
  config: { type: 'string' },
  model: { type: 'string' },
  registry: { type: 'string' },
  brokers: { type: 'string' },
  backend: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

/**
 * Parses a command's flags; a mistake is a {@link UsageError} in one line that names
 * the flag (and the likely one, for a typo).
 */
export function parse(cmd: Command, argv: string[]): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  const options = { ...COMMON_OPTIONS, ...cmd.options };
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (err) {
    const { code, message } = err as { code?: string; message: string };
    const flag = /'(-[^' ]+)/.exec(message)?.[1] ?? '';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const near = closest(flag.replace(/^-+/, ''), Object.keys(options));
      throw new UsageError(`unknown option ${flag}${near ? ` (did you mean --${near}?)` : ''}`);
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const name = /'(--?[\w-]+)/.exec(message)?.[1] ?? flag;
      const type = options[name.replace(/^-+/, '')]?.type;
      throw new UsageError(type === 'boolean' ? `option ${name} takes no value` : `option ${name} needs a value`);
    }
    throw new UsageError(message.split('\n')[0]!.replace(/\.? To specify a positional argument.*$/, ''));
  }
}

/** Parses an integer flag, naming it when it is not one. */
export function intFlag(values: Record<string, unknown>, name: string): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v === '' || !Number.isInteger(n)) throw new UsageError(`--${name} ${JSON.stringify(v)} is not an integer`);
  return n;
}

/** Config overrides from the common flags. */
export function commonOverrides(values: Record<string, string | boolean | undefined>): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (values.model) o.model = values.model;
  if (values.registry) o.registryDir = values.registry;
  if (values.backend) o.backend = values.backend;
  if (typeof values.brokers === 'string') o.kafka = { brokers: values.brokers.split(',').filter(Boolean) };
  return o;
}
