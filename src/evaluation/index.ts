export * from './batch-score.js';
export * from './page-hinkley.js';
export * from './prequential-accuracy.js';
export * from './prequential-error.js';
export * from './prequential-run.js';
export * from './pseudo-label-tracker.js';
export * from './span-f1.js';
export * from './target-score.js';
