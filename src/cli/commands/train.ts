import { trainBase } from '../../app/train-base.js';
import { selectBackend } from '../../backend/index.js';
import { loadConfig } from '../../config/index.js';
import { readEventsJsonl } from '../../data/index.js';
import { ConfigError } from '../../errors/index.js';
import { VersionStore } from '../../registry/index.js';
import { type Command, commonOverrides, intFlag } from '../args.js';

export const trainCommand: Command = {
  name: 'train',
  summary: 'batch-train a base model from a JSONL file and save it as a new version',
  usage: `Usage: streamtune train --data FILE [--holdout FILE] [--epochs N] [--hidden 64,32] [--model NAME] [--registry DIR]

Trains a classifier on labelled events (one JSON label event per line) and saves it
in the registry as the model's newest version, which \`streamtune serve\` then serves.

Example:
  streamtune train --data data/digits/base.jsonl --holdout data/digits/holdout.jsonl --model digits`,
  options: {
    data: { type: 'string' },
    holdout: { type: 'string' },
    epochs: { type: 'string' },
    hidden: { type: 'string' },
    'learning-rate': { type: 'string' },
    seed: { type: 'string' },
  },
  async run(values) {
    if (typeof values.data !== 'string') throw new ConfigError('--data', 'a JSONL file of labelled events is required');
    const config = loadConfig({ file: values.config as string | undefined, env: process.env, overrides: commonOverrides(values) });
    const { backend } = await selectBackend(config.backend, { conv: false });
    process.stderr.write(`backend: ${backend}\n`);
    const { events, rejected } = await readEventsJsonl(values.data);
    for (const r of rejected.slice(0, 10)) process.stderr.write(`${values.data}:${r.line}: ${r.reason}: ${r.message}\n`);
    const holdout = typeof values.holdout === 'string' ? (await readEventsJsonl(values.holdout)).events : undefined;
    const epochs = intFlag(values, 'epochs') ?? 30;
    const hidden = typeof values.hidden === 'string' ? values.hidden.split(',').map(Number) : undefined;
    const lr = values['learning-rate'] === undefined ? undefined : Number(values['learning-rate']);
    const result = await trainBase({
      model: config.model,
      store: new VersionStore(config.registryDir),
      events,
      holdout,
      backend,
      epochs,
      hiddenUnits: hidden,
      learningRate: lr,
      seed: intFlag(values, 'seed'),
      onEpoch: (e, loss) => process.stderr.write(`\repoch ${e}/${epochs} loss ${loss.toFixed(4)}${e === epochs ? '\n' : ''}`),
    });
    process.stdout.write(
      `${JSON.stringify({
        model: config.model,
        version: result.meta.version,
        examples: events.length,
        rejected: rejected.length,
        trainAccuracy: Number(result.trainAccuracy.toFixed(4)),
        holdoutAccuracy: result.holdoutAccuracy === null ? null : Number(result.holdoutAccuracy.toFixed(4)),
        backend,
        registry: config.registryDir,
      })}\n`,
    );
    return rejected.length > 0 ? 2 : 0;
  },
};
