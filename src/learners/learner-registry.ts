import type * as tf from '@tensorflow/tfjs';
import { StreamtuneError } from '../core/index.js';
import { checkFeatureSpec, type FeatureSpec } from '../features/index.js';
import type { Json, Learner, LearnerFactory } from './learner.js';

const factories = new Map<string, LearnerFactory>();

/** Registers a learner class so saved versions of it can be rebuilt by name. */
export function registerLearner(className: string, factory: LearnerFactory): void {
  factories.set(className, factory);
}

function factoryOf(className: string): LearnerFactory {
  const f = factories.get(className);
  if (!f) {
    throw new StreamtuneError('unknown_learner', `no learner class "${className}" is registered (known: ${[...factories.keys()].join(', ')})`, {
      context: { className },
    });
  }
  return f;
}

/** A config's feature spec, when it has one, must be valid (see {@link checkFeatureSpec}). */
function checkSpecOf(config: { [k: string]: Json }): void {
  const spec = config.featureSpec;
  if (spec && typeof spec === 'object' && !Array.isArray(spec)) checkFeatureSpec(spec as unknown as FeatureSpec);
}

/** Creates a new, untrained learner of a registered class. */
export function createLearner(className: string, config: { [k: string]: Json }): Learner {
  checkSpecOf(config);
  return factoryOf(className).create(config);
}

/** Restores a saved learner from its class name, config and weights. */
export function loadLearner(className: string, config: { [k: string]: Json }, handler: tf.io.IOHandler): Promise<Learner> {
  checkSpecOf(config);
  return factoryOf(className).load(config, handler);
}

/** Class names of every registered learner (the conformance suite checks it covers them all). */
export function registeredLearners(): string[] {
  return [...factories.keys()];
}
