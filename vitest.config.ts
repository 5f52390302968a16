import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // The Testcontainers test needs a container engine and a Kafka image: it runs only when
    // asked (`npm run -s test:testcontainers`, a CI step of its own), never skipped in `npm test`.
    exclude: [...configDefaults.exclude, ...(process.env.STREAMTUNE_TESTCONTAINERS === '1' ? [] : ['tests/integration/testcontainers-*.test.ts'])],
    globalSetup: ['tests/helpers/kafka-global-setup.ts'],
    // Native TensorFlow and gRPC are happiest in separate processes, not worker threads.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Two cores: integration files share one broker and must not starve each other.
    maxWorkers: 2,
  },
});
