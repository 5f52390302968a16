import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../core/index.js';
import type { FeatureSpec } from '../features/index.js';
import { DenseClassifier } from './dense-classifier.js';
import { registerLearner } from './learner-registry.js';

/** Constructor parameters of {@link ConvClassifier}; all JSON, all saved. */
export interface ConvClassifierConfig {
  /** An `image` or `audio` spec: its shape is what the convolutions see. */
  featureSpec: FeatureSpec;
  labels: string[];
  /** Filters of each conv (3×3, ReLU, same padding) + 2×2 max-pool block. @defaultValue [8, 16] */
  filters?: number[];
  /** Units of the dense ReLU layers after the convolutions. @defaultValue [32] */
  hiddenUnits?: number[];
  /** Adam learning rate. @defaultValue 0.003 */
  learningRate?: number;
  /** @defaultValue 1 */
  seed?: number;
}

/** `[height, width, channels]` of an image spec, `[frames, melBins, 1]` of an audio spec. */
export function convInputShape(spec: FeatureSpec): [number, number, number] {
  if (spec.kind === 'image') return [spec.height, spec.width, spec.channels];
  if (spec.kind === 'audio') return [spec.frames, spec.melBins, 1];
  throw new ConfigError('featureSpec.kind', `ConvClassifier needs "image" or "audio" input, got "${spec.kind}"`);
}

/** conv → pool blocks, then dense layers and a linear head over the labels; input is the flat vector `featurize` makes. */
function buildConvNet(c: Required<ConvClassifierConfig>, outputs: number): tf.Sequential {
  const shape = convInputShape(c.featureSpec);
  const m = tf.sequential();
  m.add(tf.layers.reshape({ targetShape: shape, inputShape: [c.featureSpec.dim] }));
  let [h, w] = shape;
  c.filters.forEach((filters, i) => {
    m.add(tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.heNormal({ seed: c.seed + i }) }));
    // Pool only while both sides can halve: tiny spectrograms or images keep their last rows.
    if (h >= 2 && w >= 2) {
      m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
      [h, w] = [Math.floor(h / 2), Math.floor(w / 2)];
    }
  });
  m.add(tf.layers.flatten());
  c.hiddenUnits.forEach((units, i) =>
    m.add(tf.layers.dense({ units, activation: 'relu', kernelInitializer: tf.initializers.heNormal({ seed: c.seed + 100 + i }) })),
  );
  m.add(tf.layers.dense({ units: outputs, kernelInitializer: tf.initializers.glorotUniform({ seed: c.seed + 200 }) }));
  return m;
}

/**
 * A small CNN classifier for images and log-mel spectrograms. It is a
 * {@link DenseClassifier} with a convolutional body: prediction, the Adam step,
 * the prequential side output, save and describe are shared. Conv2D gradients
 * need the native or CPU backend (WASM has none): select `{ conv: true }`.
 *
 * @example
 * const m = new ConvClassifier({ featureSpec: imageSpec(16, 16), labels: ['dark', 'bright'] });
 */
export class ConvClassifier extends DenseClassifier {
  static override readonly className: string = 'ConvClassifier';

  constructor(config: ConvClassifierConfig, model?: tf.LayersModel) {
    const full: Required<ConvClassifierConfig> = { filters: [8, 16], hiddenUnits: [32], learningRate: 0.003, seed: 1, ...config };
    convInputShape(full.featureSpec);
    super(full, model ?? buildConvNet(full, config.labels.length));
  }
}

/**
 * True when a saved learner config's input needs convolutions, so a backend with
 * Conv2D gradients must be picked before it is loaded (`selectBackend(pref, { conv })`).
 */
export function needsConv(config: { [k: string]: unknown } | undefined): boolean {
  const kind = (config?.featureSpec as { kind?: string } | undefined)?.kind;
  return kind === 'image' || kind === 'audio';
}

registerLearner(ConvClassifier.className, {
  create: (config) => new ConvClassifier(config as unknown as ConvClassifierConfig),
  load: async (config, handler) => new ConvClassifier(config as unknown as ConvClassifierConfig, await tf.loadLayersModel(handler)),
});
