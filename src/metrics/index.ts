export * from './metrics.js';
export * from './metrics-server.js';
export * from './regime-metrics.js';
