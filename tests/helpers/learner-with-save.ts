import type * as tf from '@tensorflow/tfjs';
import type { Learner } from '../../src/learners/index.js';

/** `real` with its `save` replaced (every other member is the real one's, bound to it): to cut a save short. */
export function withSave(real: Learner, save: (handler: tf.io.IOHandler) => Promise<void>): Learner {
  return new Proxy(real, {
    get(target, prop) {
      if (prop === 'save') return save;
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
