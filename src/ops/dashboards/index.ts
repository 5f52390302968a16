export * from './dashboard.js';
export * from './dashboard-files.js';
