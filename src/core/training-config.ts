import { z } from 'zod';
import { ConfigError } from './streamtune-error.js';

export const port = z.number().int().min(0).max(65535);
/** A model name: it names a registry folder, a metric label and a Kafka key (never a path: no leading dot, no slash). */
export const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
export const modelName = z.string().regex(MODEL_NAME, 'letters, digits, _ . - (max 128)');

/** The `training` section: how the online trainer batches, checkpoints, scores and guards. */
export const trainingSchema = z
  .object({
    /** Learn online from Kafka while serving. */
    enabled: z.boolean().default(true),
    maxBatchSize: z.number().int().min(1).max(4096).default(32),
    maxBatchWaitMs: z.number().int().min(1).default(200),
    /**
     * A trainer of many models: how long a model's events may wait for more of its
     * own before it steps (up to maxBatchSize). 0: each model steps with what each
     * micro-batch brings it. With hundreds of models a micro-batch brings each one
     * or two events, and per-step cost dominates: a wait of ~200 ms makes fewer,
     * larger steps.
     */
    modelBatchWaitMs: z.number().int().min(0).default(0),
    /**
     * Models a trainer may learn (events for others are dead-lettered \`wrong_model\`);
     * empty: every model of the registry (events naming none go to \`model\`).
     */
    models: z.array(modelName).default([]),
    /** A model that got no event for this long is saved and unloaded (bounds memory); 0 keeps models loaded. */
    idleUnloadMs: z.number().int().min(0).default(600_000),
    /** Unacked records before the consumer pauses (bounds memory). */
    maxInFlight: z.number().int().min(1).default(2000),
    /**
     * Cap of the trainer process's V8 old generation in MiB (\`node --max-old-space-size\`):
     * V8 then collects before garbage fills the heap, which keeps RSS flat. The live heap of
     * one digits model is ~90 MiB (dedupe window, replay buffer, kafkajs buffers); each more
     * model loaded adds its own windows, and image inputs make replay examples larger.
     * 0: node's default (sized from the machine's memory).
     */
    maxHeapMb: z
      .number()
      .int()
      .refine((mb) => mb === 0 || (mb >= 64 && mb <= 65_536), 'MiB from 64 to 65536, or 0 for node\'s default')
      .default(512),
    versionEverySteps: z.number().int().min(1).default(20),
    versionEveryMs: z.number().int().min(100).default(1000),
    accuracyWindow: z.number().int().min(1).default(500),
    /**
     * Event ids remembered to drop producer retries (at least the last this many, at most twice
     * that); 0 turns deduplication off. Kept in a filter of fixed size saved with each version:
     * ~4 bytes per id at the default false-positive rate (~396 KB for 100,000).
     */
    dedupeWindow: z.number().int().min(0).default(100_000),
    /** Chance that a fresh event is taken for a duplicate and not learned (the dedupe filter's false-positive rate). */
    dedupeFalsePositiveRate: z.number().gt(0).max(0.1).default(0.001),
    /** Past examples kept to mix into steps (limits forgetting); 0 turns replay off. */
    replayCapacity: z.number().int().min(0).default(1000),
    /** Replayed examples per new example in a step. */
    replayMixRatio: z.number().min(0).max(4).default(0.25),
    /**
     * Learning regime online: \`as-trained\` keeps the regime of the restored version
     * (\`streamtune train --regime\`); \`self-training\` also pseudo-labels unlabelled events.
     */
    regime: z.enum(['as-trained', 'self-training']).default('as-trained'),
    selfTraining: z
      .object({
        /** Confidence a prediction needs to become a pseudo-label. */
        threshold: z.number().min(0).max(1).default(0.9),
        /** Example weight of a pseudo-label (true labels weigh 1). */
        pseudoWeight: z.number().positive().max(1).default(0.5),
        /** Largest share of pseudo-labels among the examples learned. */
        maxPseudoShare: z.number().min(0).lt(1).default(0.5),
      })
      .strict()
      .prefault({}),
    /** Reaction to drift detected on the prequential error (Page-Hinkley). */
    driftReaction: z.enum(['boost-lr', 'none']).default('boost-lr'),
    /** Learning-rate multiplier while a drift boost lasts. */
    driftBoostFactor: z.number().min(1).max(100).default(3),
    /** Steps a drift boost lasts. */
    driftBoostSteps: z.number().int().min(1).default(50),
    /** Which candidates may serve (see docs/trainer.md). */
    guardrail: z
      .object({
        enabled: z.boolean().default(true),
        /** How much worse (absolute accuracy) a candidate may be than the serving version. */
        tolerance: z.number().min(0).max(1).default(0.02),
        /** Labelled events a comparison needs before it can reject; also the live window after a promotion. */
        minEvents: z.number().int().min(1).default(100),
        /**
         * Most labelled events between two checkpoints the champion is scored on (the
         * first ones; the candidate is compared on the same). Scoring the champion on
         * every event cost ~14% of a fast trainer's CPU; a comparison needs `minEvents`.
         */
        sampleEvents: z.number().int().min(1).default(1000),
        /** Drop of the serving version's live accuracy below its level at promotion that rolls serving back. */
        rollbackThreshold: z.number().min(0).max(1).default(0.15),
        /** A trusted labelled JSONL set: candidates are compared on it instead of on the stream. */
        holdoutFile: z.string().default(''),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

/**
 * streamtune's configuration. Every key has a default; units are in the names.
 * Sources, later wins: defaults ← JSON file (`--config`) ← `STREAMTUNE_*` env ← CLI flags.
 */
export type TrainingConfig = z.infer<typeof trainingSchema>;

/**
 * The training section with every default filled in from the schema (the only
 * place defaults are written), for code that runs a trainer without a whole config.
 *
 * @example
 * trainingConfig({ versionEverySteps: 5 }).maxBatchSize; // 32
 */
export function trainingConfig(input: z.input<typeof trainingSchema> = {}): TrainingConfig {
  const parsed = trainingSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(['training', ...issue.path].join('.'), issue.message);
  }
  return parsed.data;
}
