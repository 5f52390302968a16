#!/usr/bin/env node
// Only what --help and --version need is imported up front: each command's module
// (and tfjs, gRPC, kafkajs with it) is imported when that command runs.
import { readFileSync } from 'node:fs';
import { COMMANDS, findCommand } from './command-list.js';

function help(): string {
  return `streamtune — batch-train, serve over gRPC, fine-tune from Kafka, hot-swap.

Usage: streamtune <command> [options]   (streamtune <command> --help for its options)
       streamtune --version

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(9)} ${c.summary}`).join('\n')}

Example:
  streamtune demo --exit
`;
}

/** The package's version (package.json sits two levels up from src/cli and dist/cli alike). */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return `streamtune ${pkg.version}\n`;
}

/** The command being run and its flags, for the error line. */
let running: { name?: string; values?: Record<string, string | boolean | undefined> } = {};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help());
    return name ? 0 : 1;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    process.stdout.write(version());
    return 0;
  }
  const entry = findCommand(name);
  if (!entry) {
    const { closest, UsageError } = await import('./cli-failure.js');
    const near = closest(name, COMMANDS.map((c) => c.name));
    throw new UsageError(`unknown command "${name}"${near ? ` (did you mean ${near}?)` : ''}: run \`streamtune --help\` for the commands`);
  }
  running = { name: entry.name };
  const [cmd, { parse }] = await Promise.all([entry.load(), import('./args.js')]);
  const { values, positionals } = parse(cmd, rest);
  running.values = values;
  if (values.help) {
    process.stdout.write(`${cmd.usage}\n`);
    return 0;
  }
  return cmd.run(values, positionals);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  async (err: unknown) => {
    const [{ defaultAddress }, { describeFailure, serverCallError }] = await Promise.all([import('./admin-client.js'), import('./cli-failure.js')]);
    // A gRPC call that failed is about the server at --address (or the default one).
    const address = typeof running.values?.address === 'string' ? running.values.address : defaultAddress();
    const { line, exitCode } = describeFailure(serverCallError(err, address), running.name);
    process.stderr.write(`${line}\n`);
    process.exit(exitCode);
  },
);
