export * from './create-model.js';
export * from './demo.js';
export * from './operator-log.js';
export * from './streamtune-server.js';
export * from './train-base.js';
export * from './trainer-messages.js';
export * from './trainer-process.js';
export * from './trainer-supervisor.js';
