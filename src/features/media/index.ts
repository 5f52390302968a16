export * from './augment-audio.js';
export * from './augment-image.js';
export * from './decode-image.js';
export * from './decode-wav.js';
export * from './image-to-tensor-data.js';
export * from './log-mel-spectrogram.js';
export * from './mel-filterbank.js';
