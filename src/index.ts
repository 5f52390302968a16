/**
 * streamtune's public entry, for TypeScript users who embed it rather than run
 * the CLI: produce label events, define or pick a learner, run the server, read
 * the version registry. Everything else is internal and may change.
 *
 * @example
 * import { createKafka, EventProducer, loadConfig, StreamtuneServer } from 'streamtune';
 *
 * const app = new StreamtuneServer(loadConfig({ env: process.env }));
 * await app.start();
 * app.on('swap', (meta) => console.log(`serving ${meta.version}`));
 *
 * // The configured brokers, with kafka.ssl and kafka.sasl when set.
 * const producer = new EventProducer(createKafka(app.config.kafka), app.config.kafka.labelsTopic);
 * await producer.send([{ id: 'e1', input: { features: [0.1, 0.9] }, label: 'a' }]);
 */

// Producing label events.
export { EventProducer, createKafka, labelEventSchema, eventInputSchema, MAX_EVENT_BYTES } from './ingest/index.js';
export type { LabelEvent, EventInput, Label, KafkaConnection } from './ingest/index.js';

// The learner protocol, its registry (rebuilds saved learners by class name) and the built-in learners.
export {
  registerLearner,
  createLearner,
  loadLearner,
  registeredLearners,
  DenseClassifier,
  DenseRegressor,
  ConvClassifier,
} from './learners/index.js';
// Learning regimes built from learners (semi-supervised, multi-view, pretrained encoders).
export { MultiViewClassifier, SelfTrainingLearner, CoTrainingLearner, EncoderHeadLearner } from './regimes/index.js';
export type {
  Learner,
  LearnerFactory,
  Prediction,
  ModelDescription,
  StepResult,
  UnlabelledStepResult,
  Task,
  Json,
  DenseClassifierConfig,
  DenseRegressorConfig,
  ConvClassifierConfig,
} from './learners/index.js';
export type { MultiViewConfig, SelfTrainingConfig, CoTrainingConfig, EncoderHeadConfig } from './regimes/index.js';
// Learners take featurized rows: `featurize(event.input, learner.featureSpec)`.
export { featurize } from './features/index.js';
export type { FeatureSpec, InputKind } from './features/index.js';

// The server (gRPC + metrics + online learning) and a client of its Predictor service.
export { StreamtuneServer } from './app/streamtune-server.js';
export type { StreamtuneServerEvents } from './app/streamtune-server.js';
export { PredictorClient } from './serving/index.js';
export type { ClientInstance } from './serving/index.js';

// The version registry: saved learners with their lineage, offsets and metrics.
export { VersionStore } from './registry/index.js';
export type { VersionMeta, NewVersion, PromotionDecision, VersionState } from './registry/index.js';

// Configuration (the server's options) and logging.
export { loadConfig, configSchema, Logger } from './core/index.js';
export type { Config, ConfigInput, LogSink, LoggerOptions } from './core/index.js';

// One error family: every error streamtune throws on purpose is a StreamtuneError with a stable `code`.
export {
  StreamtuneError,
  ConfigError,
  InvalidInputError,
  ModelNotFoundError,
  ModelLoadError,
  ModelSaveError,
  BrokerError,
  BrokerAuthError,
  ClosedError,
  OverloadedError,
  DeadlineExceededError,
  UnauthenticatedError,
  PermissionDeniedError,
  PreconditionError,
  UpstreamError,
} from './core/index.js';
export type { ErrorContext } from './core/index.js';
