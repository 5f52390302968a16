#!/usr/bin/env node
import { status } from '@grpc/grpc-js';
import { StreamtuneError } from '../core/index.js';
import { parse, type Command } from './args.js';
import { adminCommand } from './commands/admin.js';
import { modelsCommand } from './commands/models.js';
import { demoCommand } from './commands/demo.js';
import { labelCommand } from './commands/label.js';
import { learnCommand } from './commands/learn.js';
import { planCommand } from './commands/plan.js';
import { predictCommand } from './commands/predict.js';
import { produceCommand } from './commands/produce.js';
import { reportCommand } from './commands/report.js';
import { serveCommand } from './commands/serve.js';
import { statusCommand } from './commands/status.js';
import { trainCommand } from './commands/train.js';

const COMMANDS: Command[] = [trainCommand, serveCommand, learnCommand, produceCommand, predictCommand, demoCommand, adminCommand, planCommand];
// Operators' commands (status, models), kept apart so additions above merge cleanly.
COMMANDS.push(statusCommand, modelsCommand, reportCommand);
COMMANDS.push(labelCommand);

function help(): string {
  return `streamtune — batch-train, serve over gRPC, fine-tune from Kafka, hot-swap.

Usage: streamtune <command> [options]   (streamtune <command> --help for its options)

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(9)} ${c.summary}`).join('\n')}

Example:
  streamtune demo --exit
`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help());
    return name ? 0 : 1;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    process.stderr.write(`unknown command "${name}"\n\n${help()}`);
    return 1;
  }
  const { values, positionals } = parse(cmd, rest);
  if (values.help) {
    process.stdout.write(`${cmd.usage}\n`);
    return 0;
  }
  return cmd.run(values, positionals);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const grpcErr = err as { code?: unknown; details?: unknown };
    if (err instanceof StreamtuneError) process.stderr.write(`streamtune: ${err.message}\n`);
    else if (typeof grpcErr.code === 'number' && typeof grpcErr.details === 'string') {
      process.stderr.write(`streamtune: ${status[grpcErr.code] ?? grpcErr.code}: ${grpcErr.details}\n`);
    }
    else process.stderr.write(`streamtune: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
