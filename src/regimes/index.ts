export * from './pretrain-encoder.js';
export * from './build-regime-learner.js';
