export * from './read-jsonl.js';
