export * from './build-report.js';
export * from './encode-png.js';
export * from './line-chart.js';
