export * from './label-event.js';
export * from './decode-event.js';
