export * from './consumer-lag-monitor.js';
export * from './metric-catalogue.js';
export * from './metrics-doc.js';
export * from './metrics-server.js';
export * from './metrics.js';
export * from './parse-metrics-text.js';
export * from './report/index.js';
export * from './tracing.js';
