export * from './pretrain-encoder.js';
export * from './build-regime-learner.js';
export * from './prequential-run.js';
export * from './plan-regime.js';
