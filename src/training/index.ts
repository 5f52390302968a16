export * from './drift-reaction.js';
export * from './online-learning.js';
export * from './online-trainer.js';
export * from './promotion-guardrail.js';
export * from './recent-ids.js';
export * from './replay-buffer.js';
export * from './trainer-stats.js';
