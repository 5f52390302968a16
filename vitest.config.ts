import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/helpers/kafka-global-setup.ts'],
    // Native TensorFlow and gRPC are happiest in separate processes, not worker threads.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Two cores: integration files share one broker and must not starve each other.
    maxWorkers: 2,
  },
});
