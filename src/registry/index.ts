export * from './kafka-registry-mirror.js';
export * from './kafka-registry-publisher.js';
export * from './model-announcements.js';
export * from './registry-assembler.js';
export * from './registry-records.js';
export * from './registry-transactions.js';
export * from './version-meta.js';
export * from './version-store.js';
