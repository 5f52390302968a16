import { z } from 'zod';
import { eventInputSchema } from '../ingest/index.js';

/** Default topic of label requests. */
export const LABEL_REQUESTS_TOPIC = 'streamtune.label-requests';

/**
 * A served prediction the model was unsure of, published for a human to label.
 * The label comes back as an ordinary label event with the same `id`.
 */
export const labelRequestSchema = z
  .object({
    id: z.string().min(1).max(256),
    model: z.string().min(1),
    version: z.string(),
    input: eventInputSchema,
    predicted: z.string(),
    scores: z.record(z.string(), z.number()),
    uncertainty: z.number().min(0).max(1),
    ts: z.number().int().nonnegative(),
  })
  .strict();

export type LabelRequest = z.infer<typeof labelRequestSchema>;
