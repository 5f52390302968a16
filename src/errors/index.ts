export * from './streamtune-error.js';
