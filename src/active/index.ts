export * from './uncertainty.js';
export * from './label-request.js';
export * from './uncertainty-sampler.js';
export * from './label-request-publisher.js';
