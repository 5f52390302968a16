export * from './learner.js';
export * from './learner-registry.js';
export * from './dense-classifier.js';
export * from './train-batch.js';
