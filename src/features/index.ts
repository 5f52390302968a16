export * from './feature-spec.js';
export * from './hash-text.js';
export * from './featurize.js';
