export * from './labelling-queue.js';
export * from './labelling-server.js';
export * from './labelling-page.js';
