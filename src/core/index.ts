export * from './config.js';
export * from './file-io-handler.js';
export * from './logger.js';
export * from './seeded-random.js';
export * from './select-backend.js';
export * from './streamtune-error.js';
export * from './typed-emitter.js';
export * from './rolling-window.js';
