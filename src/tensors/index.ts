export * from './dense-stack.js';
export * from './float32-state.js';
export * from './float64-state.js';
export * from './pack-models.js';
export * from './rows-tensor.js';
export * from './trainable-net.js';
