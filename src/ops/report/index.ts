export * from './build-report.js';
export * from './query-range.js';
export * from './render-vega-lite.js';
export * from './time-chart.js';
export * from './version-markers.js';
