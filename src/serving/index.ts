export * from './model-holder.js';
export * from './proto.js';
export * from './wire-types.js';
export * from './predictor-service.js';
export * from './prediction-server.js';
export * from './predictor-client.js';
