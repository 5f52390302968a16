import { z } from 'zod';

/** Longest accepted event, in bytes of JSON; longer ones are dead-lettered as `too_large`. */
export const MAX_EVENT_BYTES = 1_000_000;

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

/** Input of one example: a feature vector or a text. */
export const eventInputSchema = z.union([
  z.object({ features: z.array(finite).min(1).max(65_536) }).strict(),
  z.object({ text: z.string().min(1).max(100_000) }).strict(),
]);

/**
 * A label event as producers send it on the `streamtune.labels` topic (key = id).
 * `label: null` marks an unlabelled observation (kept for semi-supervised regimes).
 */
export const labelEventSchema = z
  .object({
    id: z.string().min(1).max(256),
    model: z.string().min(1).max(128).optional(),
    input: eventInputSchema,
    label: z.union([z.string().min(1).max(256), finite, z.null()]),
    weight: z.number().positive().refine(Number.isFinite, 'must be a finite number').optional(),
    ts: z.number().int().nonnegative().optional(),
  })
  .strict();

export type EventInput = z.infer<typeof eventInputSchema>;
export type LabelEvent = z.infer<typeof labelEventSchema>;
export type Label = LabelEvent['label'];
