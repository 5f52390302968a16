import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError } from '../core/index.js';

/** A sub-command: its options, its help (with an example) and what it runs. */
export interface Command {
  name: string;
  summary: string;
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

export function parse(cmd: Command, argv: string[]): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...cmd.options }, allowPositionals: true, strict: true });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (err) {
    throw new ConfigError('arguments', `${(err as Error).message}\n\n${cmd.usage}`);
  }
}

/** Parses an integer flag, naming it when it is not one. */
export function intFlag(values: Record<string, unknown>, name: string): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new ConfigError(`--${name}`, `"${String(v)}" is not an integer`);
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
