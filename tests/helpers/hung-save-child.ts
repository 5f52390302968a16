/**
 * A child process that starts saving a version of model "m" in the registry given
 * as argv[2] and hangs inside the save once the weights are written, after
 * telling its parent `saving`. The parent kills it there with SIGKILL: a save cut
 * short as a `kill -9` or a power loss cuts it.
 */
import type * as tf from '@tensorflow/tfjs';
import { DenseClassifier, type Learner } from '../../src/learners/index.js';
import { VersionStore } from '../../src/registry/index.js';
import { useTestBackend } from './test-backend.js';

const backend = await useTestBackend();
const real = new DenseClassifier({ featureSpec: { kind: 'features', dim: 3 }, labels: ['p', 'q'], hiddenUnits: [8] });
const hung: Learner = new Proxy(real, {
  get(target, prop) {
    if (prop === 'save') {
      return async (handler: tf.io.IOHandler): Promise<void> => {
        await target.save(handler);
        process.send!('saving');
        await new Promise(() => undefined);
      };
    }
    const v = Reflect.get(target, prop, target) as unknown;
    return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
  },
});
await new VersionStore(process.argv[2]!).save('m', hung, { parent: 'v1', regime: 'test', backend, examplesSeen: 1, metrics: {}, offsets: {} });
