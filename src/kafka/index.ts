export * from './raw-record.js';
export * from './topics.js';
export * from './kafka-client.js';
export * from './kafka-source.js';
export * from './lazy-producer.js';
export * from './dead-letter-sink.js';
export * from './event-producer.js';
export * from './model-announcements.js';
