import { z } from 'zod';

/** Longest accepted event, in bytes of JSON; longer ones are dead-lettered as `too_large`. */
export const MAX_EVENT_BYTES = 1_000_000;

// zod 4's number() rejects NaN and ±Infinity (JSON like 1e999 parses to Infinity).
const finite = z.number();

/**
 * Input of one example: a feature vector or a text. One object with exactly one
 * of the keys (rather than a union) so an error names the exact field, e.g.
 * `input.features.3`.
 */
export const eventInputSchema = z
  .object({
    features: z.array(finite).min(1).max(65_536).optional(),
    text: z.string().min(1).max(100_000).optional(),
  })
  .strict()
  .refine((i) => (i.features === undefined) !== (i.text === undefined), { message: 'set exactly one of "features" or "text"' });

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
    weight: z.number().positive().optional(),
    ts: z.number().int().nonnegative().optional(),
  })
  .strict();

export type EventInput = { features: number[] } | { text: string };
export type Label = string | number | null;
export interface LabelEvent {
  id: string;
  model?: string;
  input: EventInput;
  label: Label;
  weight?: number;
  ts?: number;
}
