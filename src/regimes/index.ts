export * from './build-regime-learner.js';
export * from './co-training-learner.js';
export * from './encoder-head-learner.js';
export * from './multi-view-classifier.js';
export * from './plan-regime.js';
export * from './pretrain-encoder.js';
export * from './self-training-learner.js';
