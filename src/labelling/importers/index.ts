export * from './build-input.js';
export * from './field-mapping.js';
export * from './import-from-csv.js';
export * from './import-from-dir.js';
export * from './import-from-jsonl.js';
export * from './import-from-label-studio.js';
export * from './import-result.js';
export * from './resolve-media.js';
