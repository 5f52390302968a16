import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Tests of the machinery around learning (process supervision, broker outages,
 * Kafka security, the browser, Prometheus, Helm, Jaeger, the CLI's start-up), which
 * behave alike on every TensorFlow backend. `STREAMTUNE_TEST_SCOPE=backend` leaves
 * them out: CI's second pass, on the WASM fallback, runs what a backend can change.
 */
const BACKEND_INDEPENDENT = [
  'tests/integration/trainer-supervision.test.ts',
  'tests/integration/feedback-loop.test.ts',
  'tests/integration/kafka-sasl-ssl.test.ts',
  'tests/integration/broker-loss.test.ts',
  'tests/e2e/labelling-page.test.ts',
  'tests/integration/zombie-trainer.test.ts',
  'tests/integration/labelling-server.test.ts',
  'tests/integration/learn-supervision.test.ts',
  'tests/integration/cli-startup.test.ts',
  'tests/integration/dashboards.test.ts',
  'tests/integration/tracing.test.ts',
  'tests/integration/helm-chart.test.ts',
  'tests/integration/orphaned-trainer.test.ts',
  'tests/integration/tls.test.ts',
  'tests/integration/check-brokers.test.ts',
  'tests/unit/alert-rules.test.ts',
];

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // The Testcontainers test needs a container engine and a Kafka image: it runs only when
    // asked (`npm run -s test:testcontainers`, a CI step of its own), never skipped in `npm test`.
    exclude: [
      ...configDefaults.exclude,
      ...(process.env.STREAMTUNE_TESTCONTAINERS === '1' ? [] : ['tests/integration/testcontainers-*.test.ts']),
      ...(process.env.STREAMTUNE_TEST_SCOPE === 'backend' ? BACKEND_INDEPENDENT : []),
    ],
    globalSetup: ['tests/helpers/kafka-global-setup.ts'],
    // Native TensorFlow and gRPC are happiest in separate processes, not worker threads.
    pool: 'forks',
    // A test that waits on processes or the broker names its own timeout, above the sum of its
    // waits; this default is for the rest, with room for a loaded machine (it costs nothing when
    // tests pass, and a test that hangs is cut off at its own limit with its own message).
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Two cores: integration files share one broker and must not starve each other. One worker
    // would spare the CPU but not the waits (session timeouts, outages of a minute), which
    // overlap with two (a recent native pass: 537 s of wall time for 927 s of test time).
    maxWorkers: 2,
  },
});
