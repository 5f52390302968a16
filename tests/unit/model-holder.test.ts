import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DenseClassifier } from '../../src/learners/index.js';
import type { VersionMeta } from '../../src/registry/index.js';
import { ModelHolder } from '../../src/serving/index.js';
import { useTestBackend } from '../helpers/test-backend.js';

const learner = (seed: number): DenseClassifier =>
  new DenseClassifier({ featureSpec: { kind: 'features', dim: 4 }, labels: ['a', 'b'], hiddenUnits: [8], seed });
const meta = (version: string): VersionMeta => ({ version, model: 'm' }) as VersionMeta;

describe('ModelHolder', () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  it('has no version until the first swap', () => {
    expect(() => new ModelHolder('m').acquire()).toThrow(/no version loaded/);
  });

  it('keeps a retired version alive for in-flight calls, then disposes it', () => {
    const holder = new ModelHolder('m');
    const start = tf.memory().numTensors;
    holder.swap(learner(1), meta('v1'));
    const perModel = tf.memory().numTensors - start;
    expect(perModel).toBeGreaterThan(0);
    const inflight = holder.acquire();
    holder.swap(learner(2), meta('v2'));
    // Both versions are alive: the old one still answers the in-flight call.
    expect(tf.memory().numTensors - start).toBe(2 * perModel);
    expect(inflight.meta.version).toBe('v1');
    expect(inflight.learner.predict([[1, 2, 3, 4]])).toHaveLength(1);
    const next = holder.acquire();
    expect(next.meta.version).toBe('v2');
    next.release();
    inflight.release();
    inflight.release(); // a second release is a no-op, not a double dispose
    expect(tf.memory().numTensors - start).toBe(perModel);
    holder.close();
    expect(tf.memory().numTensors).toBe(start);
    expect(holder.served).toEqual(['v1', 'v2']);
  });

  it('keeps serving the old version when the new one fails to warm up', () => {
    const holder = new ModelHolder('m');
    holder.swap(learner(1), meta('v1'));
    const broken = learner(3);
    broken.predict = () => {
      throw new Error('kernel failed');
    };
    expect(() => holder.swap(broken, meta('v2'))).toThrow(/kernel failed/);
    expect(holder.version).toBe('v1');
    holder.close();
  });
});
