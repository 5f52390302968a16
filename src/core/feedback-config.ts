import { z } from 'zod';
import { modelName, port } from './training-config.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The `feedback` section: the prediction log (every answered prediction, sampled,
 * on a topic) and the joiner that matches labels sent by reference
 * (`prediction_id`) to the prediction they judge (see docs/feedback.md).
 */
export const feedbackSchema = z
  .object({
    /** The prediction log written by `serve`. */
    log: z
      .object({
        /** Off by default: logging inputs to a topic is a choice about where the data goes. */
        enabled: z.boolean().default(false),
        /** Topic of the logged predictions (key = prediction id). */
        topic: z.string().min(1).default('streamtune.predictions'),
        /** Share of calls logged, in [0, 1]; a call not logged gets no prediction id. */
        sampleRate: z.number().min(0).max(1).default(1),
        /** Per-model switch, overriding `enabled` for the models named (e.g. `{"digits": false}`). */
        models: z.record(modelName, z.boolean()).default({}),
        /** Predictions waiting to be sent at most; when full, new ones are dropped and counted, never waited for. */
        bufferSize: z.number().int().min(1).max(1_000_000).default(10_000),
        /** Most records in one produce request. */
        maxBatchRecords: z.number().int().min(1).max(100_000).default(500),
        /** How long the first buffered prediction waits for others before a send (fewer, larger produce requests cost less CPU per record); a full batch goes at once. */
        lingerMs: z.number().int().min(0).max(60_000).default(100),
      })
      .strict()
      .prefault({}),
    /** How long a prediction can be labelled: a label by reference later than this after its prediction (or whose prediction never came) is dead-lettered `no_prediction`. */
    windowMs: z.number().int().min(1).default(7 * DAY_MS),
    /** Compacted topic of the joiner's state (which ids are labelled, which labels wait for their prediction). */
    stateTopic: z.string().min(1).default('streamtune.feedback-state'),
    /** Consumer group (and transactional id) of the joiner: run one joiner per group. */
    groupId: z.string().min(1).default('streamtune-joiner'),
    /** How often the joiner looks for labels whose window has closed. */
    sweepIntervalMs: z.number().int().min(10).default(5000),
    /** The joiner's /metrics (the `streamtune_feedback_*` series) on metrics.host. 0 picks a free port. */
    metricsPort: port.default(9466),
  })
  .strict()
  .prefault({});

export type FeedbackConfig = z.infer<typeof feedbackSchema>;

/** Whether the prediction log records calls to `model`. */
export function logsModel(log: FeedbackConfig['log'], model: string): boolean {
  return log.models[model] ?? log.enabled;
}
