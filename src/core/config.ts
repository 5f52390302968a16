import { z } from 'zod';
import { HTTP_LIMITS } from './create-http-server.js';
import { kafkaSaslSchema, kafkaSslSchema } from './kafka-security-config.js';
import { loopbackUnlessTls, tlsFilesSchema } from './network-config.js';
import { feedbackSchema } from './feedback-config.js';
import { modelName, port, trainingSchema } from './training-config.js';
import { tracingSchema } from './tracing-config.js';

export const configSchema = z
  .object({
    /** Name of the default model: the one trained by `train`, and the one of calls and events that name none. */
    model: modelName.default('digits'),
    /** Directory of saved versions (shared by trainer and every server replica). */
    registryDir: z.string().min(1).default('.streamtune/registry'),
    /** Where versions are shared between machines (see docs/operations.md, "A registry without a shared disk"). */
    registry: z
      .object({
        /**
         * `dir`: every process reads and writes `registryDir` (one machine, or a shared disk).
         * `kafka`: trainers also publish each version to `registry.topic`, and followers and
         * standby trainers mirror that topic into their own local `registryDir`.
         */
        mode: z.enum(['dir', 'kafka']).default('dir'),
        /** Compacted topic holding every version's files (mode `kafka`). */
        topic: z.string().min(1).default('streamtune.registry'),
        /** Largest piece of a version file in one Kafka record, in bytes (the topic allows 1 MiB). */
        chunkBytes: z.number().int().min(1024).max(1024 * 1024).default(512 * 1024),
        /**
         * Which versions of each model are kept (see docs/operations.md, "Version retention"): the
         * trainer that writes a model's versions removes the others after each checkpoint — from its
         * directory and, in mode `kafka`, from the topic (tombstones), which every mirror follows.
         * Always kept besides: the pinned version, the one LATEST names, and the newest.
         */
        retention: z
          .object({
            /** The newest versions kept per model; 0 keeps every version (no retention). */
            keepVersions: z.number().int().min(0).default(20),
            /** Rollback targets kept: the newest promoted, not rejected versions older than the pinned one, and as many older than LATEST. */
            keepRollbackTargets: z.number().int().min(0).default(2),
            /** Versions younger than this are kept too, whatever their number; 0: off. */
            keepForMs: z.number().int().min(0).default(0),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    /** TensorFlow.js backend: auto (per model), native, wasm or cpu. */
    backend: z.enum(['auto', 'native', 'tensorflow', 'wasm', 'cpu']).default('auto'),
    kafka: z
      .object({
        /** Bootstrap servers. Empty means: start or reuse the local broker (CLI only). */
        brokers: z.array(z.string().regex(/^[^:\s]+:\d+$/, 'host:port')).default([]),
        clientId: z.string().min(1).default('streamtune'),
        labelsTopic: z.string().min(1).default('streamtune.labels'),
        dlqTopic: z.string().min(1).default('streamtune.dlq'),
        /** Compacted topic where promoted versions are announced to every replica. */
        modelsTopic: z.string().min(1).default('streamtune.models'),
        groupId: z.string().min(1).default('streamtune-trainer'),
        /** How long a dead trainer holds its partitions before a standby takes over (broker minimum 6000). */
        sessionTimeoutMs: z.number().int().min(6000).default(10_000),
        /** TLS to the brokers, for every client streamtune opens (see docs/security.md, "Kafka"). */
        ssl: kafkaSslSchema.optional(),
        /** SASL login (PLAIN, SCRAM-SHA-256/512) for every client streamtune opens. */
        sasl: kafkaSaslSchema.optional(),
      })
      .strict()
      .prefault({}),
    /** Active learning: uncertain served predictions are published as label requests (see docs/labelling.md). */
    activeLearning: z
      .object({
        /** Off by default: publishing inputs to a topic is a choice about where the data goes. */
        enabled: z.boolean().default(false),
        topic: z.string().min(1).default('streamtune.label-requests'),
        strategy: z.enum(['entropy', 'margin']).default('entropy'),
        /** Smallest uncertainty in [0, 1] that is worth a request. */
        threshold: z.number().min(0).max(1).default(0.5),
        budgetPerMinute: z.number().int().min(1).default(30),
        dedupeSize: z.number().int().min(1).default(10_000),
      })
      .strict()
      .prefault({}),
    serving: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: port.default(50051),
        maxInstances: z.number().int().min(1).max(100_000).default(1024),
        maxReceiveMessageBytes: z.number().int().min(1024).default(4 * 1024 * 1024),
        drainTimeoutMs: z.number().int().min(0).default(5000),
        /** Serve versions announced on the models topic (a replica that does not train). */
        follow: z.boolean().default(false),
        /** Models to serve; empty: every model in the registry (and any created later). */
        models: z.array(modelName).default([]),
        /** How often the registry is scanned for models created or removed while serving; 0: only at start. */
        modelScanMs: z.number().int().min(0).default(2000),
        /** Versions kept loaded and warm (current included); a request may name any of them. */
        keepWarmVersions: z.number().int().min(1).max(64).default(2),
        /** Bearer token the ModelAdmin RPCs require. Empty: admin RPCs are refused unless `allowUnauthenticatedAdmin`. */
        adminToken: z.string().default(''),
        /** Accept ModelAdmin RPCs without a token when none is configured (anyone who reaches the port may pin or roll back). */
        allowUnauthenticatedAdmin: z.boolean().default(false),
        /** Serve plaintext on a non-loopback host (e.g. inside a container network). Without TLS and without this, only loopback. */
        allowPlaintextNetwork: z.boolean().default(false),
        /** TLS: server certificate and key (PEM files); with clientCaFile, clients must present a certificate it signed (mTLS). */
        tls: tlsFilesSchema.optional(),
        /** The Open Inference Protocol (KServe v2) over HTTP/REST, on serving.host with serving.tls. */
        http: z
          .object({
            enabled: z.boolean().default(true),
            /** 0 picks a free port. Triton's HTTP port. */
            port: port.default(8000),
            /** A connection that sends nothing for this long is closed (a request being answered is not). */
            idleTimeoutMs: z.number().int().min(1).default(HTTP_LIMITS.idleTimeoutMs),
            /** A request's headers must all arrive within this (else 408). */
            headersTimeoutMs: z.number().int().min(1).default(HTTP_LIMITS.headersTimeoutMs),
            /** A whole request, body included, must arrive within this (else 408); at least headersTimeoutMs. */
            requestTimeoutMs: z.number().int().min(1).default(HTTP_LIMITS.requestTimeoutMs),
            /** A keep-alive connection is closed this long after its last answer. */
            keepAliveTimeoutMs: z.number().int().min(1).default(HTTP_LIMITS.keepAliveTimeoutMs),
            /** Open connections at most; more are closed as they arrive. */
            maxConnections: z.number().int().min(1).default(HTTP_LIMITS.maxConnections),
          })
          .strict()
          .refine((h) => h.requestTimeoutMs >= h.headersTimeoutMs, { path: ['requestTimeoutMs'], message: 'must be at least serving.http.headersTimeoutMs' })
          .prefault({}),
        batching: z
          .object({
            /** Coalesce concurrent Predict calls into one forward pass. */
            enabled: z.boolean().default(true),
            /** Most rows in one forward pass. */
            maxBatchSize: z.number().int().min(1).max(65_536).default(64),
            /** Longest a request waits for others to join; 0 = those that arrived in the same event-loop turn. */
            maxQueueDelayMs: z.number().min(0).max(1000).default(0),
            /** Rows waiting at most; more answers RESOURCE_EXHAUSTED. */
            maxQueueRows: z.number().int().min(1).default(4096),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .superRefine(loopbackUnlessTls('serving', 'plaintext gRPC is served on loopback only, and so is REST'))
      .prefault({}),
    metrics: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: port.default(9464),
        /** How often the server asks the broker for the trainer group's lag (streamtune_consumer_lag_messages). */
        consumerLagIntervalMs: z.number().int().min(100).default(5000),
        /** Serve plaintext metrics on a non-loopback host. Without TLS and without this, only loopback. */
        allowPlaintextNetwork: z.boolean().default(false),
        /** HTTPS for /metrics: certificate and key (PEM files); with clientCaFile, scrapers must present a certificate it signed. */
        tls: tlsFilesSchema.optional(),
      })
      .strict()
      .superRefine(loopbackUnlessTls('metrics', 'plaintext metrics are served on loopback only'))
      .prefault({}),
    /** The labelling page of `streamtune label` (see docs/labelling.md). */
    labelling: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: port.default(8080),
        /** The login token of the page; empty: a new random one at each start, printed as a login URL. */
        token: z.string().refine((t) => t === '' || t.length >= 16, 'at least 16 characters (or empty: a random one each start)').default(''),
        /** Origins the page is also reached at (a reverse proxy's `https://label.example.com`); its own address is always allowed. */
        origins: z.array(z.url({ protocol: /^https?$/ })).default([]),
        /** Serve the page in plaintext on a non-loopback host. Without TLS and without this, only loopback. */
        allowPlaintextNetwork: z.boolean().default(false),
        /** HTTPS: certificate and key (PEM files); with clientCaFile, browsers must present a certificate it signed. */
        tls: tlsFilesSchema.optional(),
      })
      .strict()
      .superRefine(loopbackUnlessTls('labelling', 'the plaintext labelling page is served on loopback only'))
      .prefault({}),
    training: trainingSchema,
    feedback: feedbackSchema,
    /** OpenTelemetry traces over OTLP/HTTP; off unless enabled here or by the `OTEL_EXPORTER_OTLP_*ENDPOINT` variables (see docs/tracing.md). */
    tracing: tracingSchema,
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type KafkaConfig = Config['kafka'];
export type RegistryConfig = Config['registry'];
export type RetentionConfig = RegistryConfig['retention'];
