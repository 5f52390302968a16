import type * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../core/index.js';
import { textTokens, tokenFeatures, type FeatureSpec } from '../features/index.js';
import { spansOfTarget, spansTarget } from '../ingest/index.js';
import { loadFloat32State, saveFloat32State } from '../tensors/index.js';
import { bioAllowed, bioTagNames, spansToTags, tagsToSpans } from './bio-tags.js';
import type { Json, LearnOptions, Learner, ModelDescription, Prediction, StepResult } from './learner.js';
import { registerLearner } from './learner-registry.js';
import { viterbi } from './viterbi.js';

/** Parameters of {@link SpanTagger}; all JSON, all saved. */
export interface SpanTaggerConfig {
  /** `chars`: the text itself, up to `dim` characters. */
  featureSpec: FeatureSpec;
  /** Span labels (entity types), e.g. `['PER', 'LOC']`. */
  labels: string[];
  /** Hash buckets of the token features; the weights are buckets × (1 + 2 × labels) numbers. @defaultValue 65536 */
  buckets?: number;
}

/** A text's tokens and their hashed features. */
interface Sentence {
  text: string;
  tokens: ReturnType<typeof textTokens>;
  feats: Int32Array[];
}

/**
 * An online span tagger: a structured perceptron over BIO tags (Collins 2002)
 * with Viterbi decoding, on hashed word and character n-gram features of each
 * token and its neighbours; averaged weights predict (the lazy averaging trick,
 * so a step costs only the features it touches). It learns each labelled text
 * in one pass, and answers with spans at character offsets.
 *
 * Inputs are `chars` vectors (the text's UTF-16 code units, see `featurize`);
 * targets are span labels as canonical JSON (`spansTarget`).
 *
 * @example
 * const t = new SpanTagger({ featureSpec: { kind: 'chars', dim: 1000 }, labels: ['PER'] });
 * await t.learn([chars('meet Alice')], [spansTarget([{ start: 5, end: 10, label: 'PER' }])]);
 * t.predict([chars('meet Alice')])[0].spans; // [{ start: 5, end: 10, label: 'PER', text: 'Alice' }]
 */
export class SpanTagger implements Learner {
  static readonly className = 'SpanTagger';
  readonly className = SpanTagger.className;
  readonly predictsWhileLearning = true;
  readonly featureSpec: FeatureSpec;
  private readonly config: Required<SpanTaggerConfig>;
  private readonly T: number;
  /** Saved state: [examples seen (c), weights w (emission buckets × T, then (T + 1) × T transitions), Σ c·Δw]. */
  private readonly state: Float32Array;
  private readonly w: Float32Array;
  private readonly u: Float32Array;

  constructor(config: SpanTaggerConfig, state?: Float32Array) {
    this.config = { buckets: 1 << 16, ...config };
    const { featureSpec, labels, buckets } = this.config;
    if (featureSpec.kind !== 'chars') throw new ConfigError('featureSpec.kind', `SpanTagger reads "chars" input, got "${featureSpec.kind}"`);
    if (labels.length < 1 || new Set(labels).size !== labels.length) throw new ConfigError('labels', 'a span tagger needs at least one label, none repeated');
    if (!(Number.isInteger(buckets) && buckets > 0)) throw new ConfigError('buckets', `buckets must be a positive integer, got ${buckets}`);
    this.featureSpec = featureSpec;
    this.T = 1 + 2 * labels.length;
    const size = buckets * this.T + (this.T + 1) * this.T;
    this.state = state ?? new Float32Array(1 + 2 * size);
    this.w = this.state.subarray(1, 1 + size);
    this.u = this.state.subarray(1 + size);
  }

  private sentence(row: readonly number[]): Sentence {
    let text = '';
    for (let i = 0; i < row.length; i += 8192) text += String.fromCharCode(...row.slice(i, i + 8192));
    const tokens = textTokens(text);
    return { text, tokens, feats: tokenFeatures(tokens, this.config.buckets) };
  }

  /** Best tags under the current (`averaged`: averaged) weights. */
  private decode(s: Sentence, averaged: boolean): number[] {
    const { T, w, u } = this;
    const c = Math.max(1, this.state[0]!);
    const weight = averaged ? (k: number): number => w[k]! - u[k]! / c : (k: number): number => w[k]!;
    const emit = new Float64Array(s.tokens.length * T);
    s.feats.forEach((f, i) => {
      for (let t = 0; t < T; t++) {
        let sum = 0;
        for (const b of f) sum += weight(b * T + t);
        emit[i * T + t] = sum;
      }
    });
    const base = this.config.buckets * T;
    const trans = Float64Array.from({ length: (T + 1) * T }, (_, k) => weight(base + k));
    return viterbi(emit, trans, T, bioAllowed);
  }

  predict(x: readonly (readonly number[])[]): Prediction[] {
    return x.map((row) => {
      const s = this.sentence(row);
      return { spans: tagsToSpans(s.tokens, this.decode(s, true), this.config.labels, s.text) };
    });
  }

  /** Adds `d` to weight k, and c·d to its running sum for averaging. */
  private bump(k: number, d: number): void {
    this.w[k]! += d;
    this.u[k]! += this.state[0]! * d;
  }

  async learn(x: readonly (readonly number[])[], y: readonly (string | number)[], weights?: readonly number[], _opts?: LearnOptions): Promise<StepResult> {
    const { T } = this;
    const { labels, buckets } = this.config;
    const gold = y.map((v) => spansOfTarget(v));
    const sentences = x.map((row) => this.sentence(row));
    // Prequential answers first: the averaged weights before this step, as `predict` gives them.
    const predicted = sentences.map((s) => spansTarget(tagsToSpans(s.tokens, this.decode(s, true), labels, s.text)));
    let wrong = 0;
    let tokens = 0;
    sentences.forEach((s, n) => {
      this.state[0]! += 1;
      const want = spansToTags(s.tokens, gold[n]!, labels);
      const got = this.decode(s, false);
      const d = weights?.[n] ?? 1;
      tokens += want.length;
      want.forEach((t, i) => {
        const prevWant = i === 0 ? -1 : want[i - 1]!;
        const prevGot = i === 0 ? -1 : got[i - 1]!;
        if (t === got[i] && prevWant === prevGot) return;
        if (t !== got[i]) {
          wrong++;
          for (const b of s.feats[i]!) {
            this.bump(b * T + t, d);
            this.bump(b * T + got[i]!, -d);
          }
        }
        this.bump(buckets * T + (prevWant + 1) * T + t, d);
        this.bump(buckets * T + (prevGot + 1) * T + got[i]!, -d);
      });
    });
    return { loss: tokens ? wrong / tokens : 0, examples: x.length, predicted };
  }

  getConfig(): { [k: string]: Json } {
    return JSON.parse(JSON.stringify(this.config)) as { [k: string]: Json };
  }

  /** Task `spans`; the input clients send is text. */
  describe(): ModelDescription {
    return { className: this.className, task: 'spans', inputKind: 'text', inputDim: this.featureSpec.dim, labels: [...this.config.labels], parameters: this.w.length };
  }

  async save(handler: tf.io.IOHandler): Promise<void> {
    await saveFloat32State(handler, 'streamtune-span-tagger', { spanTagger: { tags: bioTagNames(this.config.labels) } }, this.state);
  }

  static async load(config: SpanTaggerConfig, handler: tf.io.IOHandler): Promise<SpanTagger> {
    return new SpanTagger(config, (await loadFloat32State(handler)).state);
  }

  dispose(): void {
    // Plain arrays: nothing to release.
  }
}

registerLearner(SpanTagger.className, {
  create: (config) => new SpanTagger(config as unknown as SpanTaggerConfig),
  load: (config, handler) => SpanTagger.load(config as unknown as SpanTaggerConfig, handler),
});
