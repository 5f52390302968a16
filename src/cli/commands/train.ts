import { TRAIN_METRIC, trainBase, type MediaSpecs } from '../../app/index.js';
import { selectBackend, loadConfig, ConfigError } from '../../core/index.js';
import { readEvents } from '../../ingest/index.js';
import { audioSpec, imageSpec } from '../../features/index.js';
import { REGIMES, type Regime } from '../../regimes/index.js';
import { progressReporter } from '../progress-reporter.js';
import { VersionStore } from '../../registry/index.js';
import { type Command, commonOverrides, intFlag } from '../args.js';

export const trainCommand: Command = {
  name: 'train',
  usage: `Usage: streamtune train --data FILE [--holdout FILE] [--task classification|regression|spans] [--regime R]
                       [--epochs N] [--validation-split 0.1] [--patience N] [--hidden 64,32]
                       [--encoder DIR] [--pretrain-epochs N] [--model NAME] [--registry DIR]
                       [--image-size 32x32x1] [--audio-shape 16000,64,32]
                       [--candidates linear,linear-slow,mlp,knn,knn-manhattan,naive-bayes,hoeffding-tree,forest] [--margin 0.02]

Trains a model on the events of a file (JSONL: one label event per line; CSV: a header
row with a "label" column, an optional "id", and a "text" column or numeric features;
an empty label means unlabelled) and saves it in the registry as the model's newest
version, which \`streamtune serve\` then serves and keeps training online.

Regimes: ${REGIMES.join(', ')} (see docs/regimes.md; \`streamtune plan\` recommends one).
The default, auto, learns several model families on the same stream and serves the best
(--candidates picks which compete; --margin is the lead a challenger needs to take over).
Transfer and fine-tune need --encoder: a registry version directory or a saved tfjs model.
Image and audio events train a ConvClassifier: --image-size WIDTHxHEIGHTxCHANNELS (1 or 3),
--audio-shape SAMPLE_RATE,FRAMES,MEL_BINS (see docs/labelling.md).
--task spans trains a SpanTagger from text events labelled {"spans": [{start, end, label}]}
(its span labels are the ones the file uses) and reports entity F1.

Example:
  streamtune train --data data/digits/base.jsonl --holdout data/digits/holdout.jsonl --model digits --validation-split 0.1 --patience 3
  streamtune train --task spans --data ner.jsonl --holdout ner-holdout.jsonl --model ner --epochs 10`,
  options: {
    data: { type: 'string' },
    holdout: { type: 'string' },
    epochs: { type: 'string' },
    hidden: { type: 'string' },
    'learning-rate': { type: 'string' },
    seed: { type: 'string' },
    task: { type: 'string' },
    regime: { type: 'string' },
    'validation-split': { type: 'string' },
    patience: { type: 'string' },
    encoder: { type: 'string' },
    'pretrain-epochs': { type: 'string' },
    'image-size': { type: 'string' },
    'audio-shape': { type: 'string' },
    candidates: { type: 'string' },
    margin: { type: 'string' },
  },
  async run(values) {
    if (typeof values.data !== 'string') throw new ConfigError('--data', 'a JSONL file of labelled events is required');
    const config = loadConfig({ file: values.config as string | undefined, env: process.env, overrides: commonOverrides(values) });
    const task = (values.task ?? 'classification') as string;
    if (task !== 'classification' && task !== 'regression' && task !== 'spans') throw new ConfigError('--task', `"${task}" is not classification, regression or spans`);
    const regime = (values.regime ?? 'auto') as Regime;
    if (!REGIMES.includes(regime)) throw new ConfigError('--regime', `"${regime}" is not one of ${REGIMES.join(', ')}`);
    const split = values['validation-split'] === undefined ? 0 : Number(values['validation-split']);
    if (!(split >= 0 && split < 1)) throw new ConfigError('--validation-split', 'must be a share in [0, 1)');
    const { events, rejected } = await readEvents(values.data);
    for (const r of rejected.slice(0, 10)) process.stderr.write(`${values.data}:${r.line}: ${r.reason}: ${r.message}\n`);
    // Image and audio events train a CNN: it needs a backend with Conv2D gradients.
    const first = events[0]?.input;
    const { backend } = await selectBackend(config.backend, { conv: first !== undefined && ('image' in first || 'audio' in first) });
    process.stderr.write(`backend: ${backend}\n`);
    const holdout = typeof values.holdout === 'string' ? (await readEvents(values.holdout)).events : undefined;
    const epochs = intFlag(values, 'epochs') ?? 30;
    const hidden = typeof values.hidden === 'string' ? values.hidden.split(',').map(Number) : undefined;
    const lr = values['learning-rate'] === undefined ? undefined : Number(values['learning-rate']);
    // A bar on a terminal; plain periodic lines in logs and CI.
    const progress = progressReporter();
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
      task,
      regime,
      validationSplit: split,
      patience: intFlag(values, 'patience'),
      encoderDir: typeof values.encoder === 'string' ? values.encoder : undefined,
      pretrainEpochs: intFlag(values, 'pretrain-epochs'),
      media: mediaSpecs(values),
      auto: autoOptions(values),
      onEpoch: (e, loss, val) =>
        progress.update(e, epochs, `epoch ${e}/${epochs} loss ${loss.toFixed(4)}${val === undefined ? '' : ` validation ${task === 'regression' ? `MAE ${(-val).toFixed(4)}` : `${task === 'spans' ? 'entity F1' : 'accuracy'} ${val.toFixed(4)}`}`}`),
    });
    progress.end();
    process.stdout.write(
      `${JSON.stringify({
        model: config.model,
        version: result.meta.version,
        examples: events.length,
        rejected: rejected.length,
        task,
        regime,
        epochs: result.epochsRun,
        [`train${TRAIN_METRIC[task]}`]: Number(result.trainAccuracy.toFixed(4)),
        [`holdout${TRAIN_METRIC[task]}`]: result.holdoutAccuracy === null ? null : Number(result.holdoutAccuracy.toFixed(4)),
        [`validation${TRAIN_METRIC[task]}`]: result.validationScore === null ? null : Number(result.validationScore.toFixed(4)),
        backend,
        registry: config.registryDir,
      })}\n`,
    );
    return rejected.length > 0 ? 2 : 0;
  },
};

/** `--candidates linear,knn` and `--margin 0.05` for the auto regime. */
function autoOptions(values: Record<string, unknown>): { candidates?: string[]; margin?: number } {
  const out: { candidates?: string[]; margin?: number } = {};
  if (typeof values.candidates === 'string') out.candidates = values.candidates.split(',').map((s) => s.trim()).filter(Boolean);
  if (typeof values.margin === 'string') {
    const m = Number(values.margin);
    if (!(m >= 0 && m < 1)) throw new ConfigError('--margin', `"${values.margin}" is not a number in [0, 1)`);
    out.margin = m;
  }
  return out;
}

/** `--image-size 32x32x1` and `--audio-shape 16000,64,32` as feature specs; absent flags keep the defaults. */
function mediaSpecs(values: Record<string, unknown>): MediaSpecs {
  const out: MediaSpecs = {};
  const ints = (v: string, sep: RegExp, flag: string, n: number): number[] => {
    const parts = v.split(sep).map(Number);
    if (parts.length !== n || !parts.every((x) => Number.isInteger(x) && x > 0)) throw new ConfigError(flag, `"${v}" is not ${n} positive integers`);
    return parts;
  };
  if (typeof values['image-size'] === 'string') {
    const [w, h, c] = ints(values['image-size'], /x/i, '--image-size', 3) as [number, number, number];
    if (c !== 1 && c !== 3) throw new ConfigError('--image-size', `channels must be 1 or 3, got ${c}`);
    out.image = imageSpec(w, h, c);
  }
  if (typeof values['audio-shape'] === 'string') {
    const [rate, frames, mels] = ints(values['audio-shape'], /,/, '--audio-shape', 3) as [number, number, number];
    out.audio = audioSpec(rate, frames, mels);
  }
  return out;
}
