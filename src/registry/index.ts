export * from './file-io-handler.js';
export * from './version-store.js';
