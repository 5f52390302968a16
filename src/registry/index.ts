export * from './model-announcements.js';
export * from './version-store.js';
