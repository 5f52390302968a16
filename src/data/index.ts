export * from './read-jsonl.js';
export * from './read-csv.js';
export * from './read-events.js';
