export * from './encode-png.js';
export * from './line-chart.js';
export * from './build-report.js';
