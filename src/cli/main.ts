#!/usr/bin/env node
import { parse, type Command } from './args.js';
import { defaultAddress } from './admin-client.js';
import { closest, describeFailure, serverCallError, UsageError } from './cli-failure.js';
import { healthcheckCommand } from './healthcheck.js';
import { modelsCommand } from './commands/models.js';
import { demoCommand } from './commands/demo.js';
import { joinCommand } from './commands/join.js';
import { labelCommand } from './commands/label.js';
import { learnCommand } from './commands/learn.js';
import { planCommand } from './commands/plan.js';
import { predictCommand } from './commands/predict.js';
import { produceCommand } from './commands/produce.js';
import { reportCommand } from './commands/report.js';
import { serveCommand } from './commands/serve.js';
import { statusCommand } from './commands/status.js';
import { trainCommand } from './commands/train.js';

const COMMANDS: Command[] = [trainCommand, serveCommand, learnCommand, produceCommand, predictCommand, demoCommand, planCommand];
// Operators' commands (status, models), kept apart so additions above merge cleanly.
COMMANDS.push(statusCommand, modelsCommand, reportCommand);
COMMANDS.push(labelCommand);
COMMANDS.push(healthcheckCommand);
COMMANDS.push(joinCommand);
/** Older names that run the same command (not listed in the help). */
const ALIASES: Record<string, Command> = { admin: modelsCommand };

function help(): string {
  return `streamtune — batch-train, serve over gRPC, fine-tune from Kafka, hot-swap.

Usage: streamtune <command> [options]   (streamtune <command> --help for its options)

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(9)} ${c.summary}`).join('\n')}

Example:
  streamtune demo --exit
`;
}

/** The command being run and its flags, for the error line. */
let running: { name?: string; values?: Record<string, string | boolean | undefined> } = {};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help());
    return name ? 0 : 1;
  }
  const cmd = COMMANDS.find((c) => c.name === name) ?? ALIASES[name];
  if (!cmd) {
    const near = closest(name, COMMANDS.map((c) => c.name));
    throw new UsageError(`unknown command "${name}"${near ? ` (did you mean ${near}?)` : ''}: run \`streamtune --help\` for the commands`);
  }
  running = { name: cmd.name };
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
  (err: unknown) => {
    // A gRPC call that failed is about the server at --address (or the default one).
    const address = typeof running.values?.address === 'string' ? running.values.address : defaultAddress();
    const { line, exitCode } = describeFailure(serverCallError(err, address), running.name);
    process.stderr.write(`${line}\n`);
    process.exit(exitCode);
  },
);
