export * from './dashboard.js';
export * from './dashboard-files.js';
export { forSelectedModels } from './promql.js';
