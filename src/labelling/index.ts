export * from './importers/index.js';
export * from './label-request-publisher.js';
export * from './label-request.js';
export * from './labelling-page.js';
export * from './labelling-queue.js';
export * from './labelling-server.js';
export * from './uncertainty-sampler.js';
export * from './uncertainty.js';
