/**
 * Word pairs and character n-grams of the `text` spec: what they hash, how a
 * spec is checked, and that versions saved before the options existed load and
 * featurize exactly as they did.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/index.js';
import { checkFeatureSpec, featurize, hashText, type FeatureSpec } from '../../src/features/index.js';
import { createLearner, MultinomialNaiveBayes, trainBatch } from '../../src/learners/index.js';
import { VersionStore } from '../../src/registry/index.js';
import { parseInputSpec } from '../../src/app/index.js';
import { useTestBackend } from '../helpers/test-backend.js';

const cosine = (a: number[], b: number[]): number => a.reduce((s, v, i) => s + v * b[i]!, 0);
const TEXTS = ['Free money, click now!', 'Meeting moved to Tuesday', 'unbelievable offer for you', 'WIN a free cruise'];

describe('text n-grams', () => {
  let dir: string;
  beforeAll(async () => {
    await useTestBackend();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-ngrams-'));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('character n-grams add pieces of words: order still does not matter, a misspelling stays close', () => {
    const words = hashText('unbelievable offer', 1024);
    const chars = hashText('unbelievable offer', 1024, 1, [3, 5]);
    expect(chars).not.toEqual(words);
    expect(Math.hypot(...chars)).toBeCloseTo(1, 6);
    expect(hashText('offer unbelievable', 1024, 1, [3, 5])).toEqual(chars);
    // A misspelt word shares no word hash with the right one, but most of its character pieces.
    const wordsOnly = cosine(hashText('unbelieveable offer', 1024), words);
    expect(wordsOnly).toBeLessThan(0.6);
    expect(cosine(hashText('unbelieveable offer', 1024, 1, [3, 5]), chars)).toBeGreaterThan(wordsOnly + 0.15);
    // A word shorter than the n-grams counts once as itself, padded: no empty or repeated pieces.
    expect(hashText('a', 64, 1, [3, 5]).filter((v) => v !== 0).length).toBe(2);
  });

  it('a spec without the options featurizes as models saved before them were trained: words and word pairs', () => {
    for (const text of TEXTS) {
      expect(featurize({ text }, { kind: 'text', dim: 256 })).toEqual(hashText(text, 256, 2));
      expect(featurize({ text }, { kind: 'text', dim: 256, ngrams: 1 })).toEqual(hashText(text, 256));
      expect(featurize({ text }, { kind: 'text', dim: 256, ngrams: 1, charNgrams: [3, 5] })).toEqual(hashText(text, 256, 1, [3, 5]));
    }
  });

  it('checks the options, naming the key', () => {
    const bad: unknown[] = [{ ngrams: 3 }, { charNgrams: [5, 3] }, { charNgrams: [0, 2] }, { charNgrams: [3, 11] }, { charNgrams: [3] }, { charNgrams: '3-5' }];
    for (const b of bad) {
      const spec = { kind: 'text', dim: 64, ...(b as object) } as FeatureSpec;
      const key = 'ngrams' in (b as object) ? 'featureSpec.ngrams' : 'featureSpec.charNgrams';
      expect(() => checkFeatureSpec(spec)).toThrowError(ConfigError);
      expect(() => checkFeatureSpec(spec)).toThrowError(key);
    }
    expect(() => checkFeatureSpec({ kind: 'text', dim: 64, ngrams: 2, charNgrams: [1, 10] })).not.toThrow();
    // A learner built from a bad saved config fails at start, naming the key.
    expect(() => createLearner('MultinomialNaiveBayes', { featureSpec: { kind: 'text', dim: 8, charNgrams: [4, 2] }, labels: ['a', 'b'] })).toThrowError(/featureSpec\.charNgrams/);
  });

  it.each<[string, FeatureSpec]>([
    ['saved before the options existed', { kind: 'text', dim: 128 }],
    ['with words, pairs and character n-grams', { kind: 'text', dim: 128, ngrams: 2, charNgrams: [3, 5] }],
  ])('a version %s round-trips: same spec, same vectors, same predictions', async (name, spec) => {
    const store = new VersionStore(dir);
    const m = new MultinomialNaiveBayes({ featureSpec: spec, labels: ['ham', 'spam'] });
    const xs = TEXTS.map((text) => featurize({ text }, spec));
    await trainBatch(
      m,
      xs.map((x, i) => ({ x, y: i % 2 === 0 ? 'spam' : 'ham' })),
      { epochs: 1 },
    );
    const model = name.replace(/\W+/g, '-');
    const meta = await store.save(model, m, { parent: null, regime: 'test', backend: tf.getBackend(), examplesSeen: xs.length, metrics: {}, offsets: {} });
    const { learner } = await store.load(model, meta.version);
    expect(learner.featureSpec).toEqual(spec);
    const again = TEXTS.map((text) => featurize({ text }, learner.featureSpec));
    expect(again).toEqual(xs);
    expect(learner.predict(again)).toEqual(m.predict(xs));
    m.dispose();
    learner.dispose();
  });
});

describe('--input text options', () => {
  it('parses buckets, word pairs and character n-grams; new text models hash words only', () => {
    expect(parseInputSpec('text')).toEqual({ kind: 'text', dim: 4096, ngrams: 1 });
    expect(parseInputSpec('text:1024,pairs,chars=3-5')).toEqual({ kind: 'text', dim: 1024, ngrams: 2, charNgrams: [3, 5] });
    expect(() => parseInputSpec('text:1024,chars=5-3')).toThrowError(/--input.*charNgrams/);
    expect(() => parseInputSpec('text:trigrams')).toThrowError(/--input.*"trigrams" is not/);
  });
});
