export * from './decode-records.js';
export * from './feature-spec.js';
export * from './featurize-media.js';
export * from './featurize.js';
export * from './hash-text.js';
export * from './media/index.js';
export * from './online-standardizer.js';
export * from './text-tokens.js';
