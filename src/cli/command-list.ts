import type { Command } from './args.js';

/** A command as the help lists it; its module (options, usage, run) is imported only when it runs. */
export interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<Command>;
}

/**
 * Every command, in the order the help lists them. Each module is imported only
 * when its command runs, so `streamtune --help` and `--version` load none of them
 * (nor tfjs, gRPC or kafkajs, which they import).
 */
export const COMMANDS: readonly CommandEntry[] = [
  { name: 'train', summary: 'batch-train a base model from a JSONL or CSV file and save it as a new version', load: async () => (await import('./commands/train.js')).trainCommand },
  { name: 'serve', summary: 'serve the latest version over gRPC and keep learning from Kafka, hot-swapping new versions', load: async () => (await import('./commands/serve.js')).serveCommand },
  { name: 'learn', summary: 'run only the online trainer: learn from Kafka, save checkpoints, announce versions', load: async () => (await import('./commands/learn.js')).learnCommand },
  { name: 'produce', summary: 'send label events from a JSONL file to Kafka', load: async () => (await import('./commands/produce.js')).produceCommand },
  { name: 'predict', summary: 'call Predict once and print the JSON answer', load: async () => (await import('./commands/predict.js')).predictCommand },
  { name: 'demo', summary: 'run the whole loop: train, serve, stream, learn online, hot-swap, report', load: async () => (await import('./commands/demo.js')).demoCommand },
  { name: 'plan', summary: 'recommend a learning regime for a dataset and a time budget (--bakeoff: run the candidates)', load: async () => (await import('./commands/plan.js')).planCommand },
  { name: 'status', summary: 'what a running server serves: version, age, online accuracy, consumer lag, last swap, backend', load: async () => (await import('./commands/status.js')).statusCommand },
  { name: 'models', summary: 'create, delete or name models in the registry; list the versions, pin, unpin or roll back a served model (ModelAdmin RPCs)', load: async () => (await import('./commands/models.js')).modelsCommand },
  { name: 'report', summary: 'an HTML page with PNG charts of a run (accuracy and swaps, events/s, latency, freshness)', load: async () => (await import('./commands/report.js')).reportCommand },
  { name: 'label', summary: 'serve the labelling web page for uncertain predictions', load: async () => (await import('./commands/label.js')).labelCommand },
  { name: 'healthcheck', summary: 'exit 0 when a server answers SERVING on the gRPC health service (for container health checks)', load: async () => (await import('./healthcheck.js')).healthcheckCommand },
  { name: 'join', summary: 'join labels sent by prediction id to the logged predictions, onto the labels topic', load: async () => (await import('./commands/join.js')).joinCommand },
];

/** Older names that run the same command (not listed in the help). */
export const ALIASES: Readonly<Record<string, string>> = { admin: 'models' };

/** The entry of `name` (or of the command it is an older name of). */
export function findCommand(name: string): CommandEntry | undefined {
  const wanted = ALIASES[name] ?? name;
  return COMMANDS.find((c) => c.name === wanted);
}
