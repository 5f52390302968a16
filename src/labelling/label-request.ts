import { z } from 'zod';
import { eventInputSchema, structuredLabelSchema } from '../ingest/index.js';

/** Default topic of label requests. */
export const LABEL_REQUESTS_TOPIC = 'streamtune.label-requests';

/**
 * What a structured request asks the labeller to draw: spans of the text, boxes,
 * keypoints or masks (painted) on the image, with one of `labels` each; `proposal` is the model's answer, shown to accept or correct.
 */
export const structuredRequestSchema = z
  .object({
    kind: z.enum(['spans', 'boxes', 'masks', 'keypoints']),
    labels: z.array(z.string().min(1).max(256)).min(1).max(100),
    proposal: structuredLabelSchema.optional(),
  })
  .strict();

/**
 * A served prediction the model was unsure of, published for a human to label.
 * The label comes back as an ordinary label event with the same `id`. A class
 * request carries the model's guess (`predicted`) and its `scores`; a structured
 * one carries `structured` instead ({@link structuredRequestSchema}).
 */
export const labelRequestSchema = z
  .object({
    id: z.string().min(1).max(256),
    model: z.string().min(1),
    version: z.string(),
    input: eventInputSchema,
    predicted: z.string().optional(),
    scores: z.record(z.string(), z.number()).optional(),
    structured: structuredRequestSchema.optional(),
    uncertainty: z.number().min(0).max(1),
    ts: z.number().int().nonnegative(),
  })
  .strict()
  .refine((r) => (r.structured === undefined) === (r.scores !== undefined && r.predicted !== undefined), {
    message: 'set "predicted" and "scores" (a class request) or "structured", not both',
  });

export type LabelRequest = z.infer<typeof labelRequestSchema>;
