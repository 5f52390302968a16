import { z } from 'zod';
import { structuredLabelSchema, type StructuredLabel } from './structured-label.js';

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
    // Encoded media as base64 (JSON has no bytes); decoded and checked by `featurize`,
    // which rejects bad files with `bad_image` / `bad_audio` naming the field.
    image: z.string().min(1).max(MAX_EVENT_BYTES).optional(),
    audio: z.string().min(1).max(MAX_EVENT_BYTES).optional(),
  })
  .strict()
  .refine((i) => [i.features, i.text, i.image, i.audio].filter((v) => v !== undefined).length === 1, {
    message: 'set exactly one of "features", "text", "image" or "audio"',
  });

/**
 * A label event as producers send it on the `streamtune.labels` topic (key = id).
 * `label: null` marks an unlabelled observation (kept for semi-supervised regimes);
 * an object is a structured label (spans, boxes, masks or keypoints, see
 * {@link structuredLabelSchema}).
 */
export const labelEventSchema = z
  .object({
    id: z.string().min(1).max(256),
    model: z.string().min(1).max(128).optional(),
    input: eventInputSchema,
    label: z.union([z.string().min(1).max(256), finite, z.null(), structuredLabelSchema]),
    weight: z.number().positive().optional(),
    ts: z.number().int().nonnegative().optional(),
  })
  .strict();

/** `image` is a base64 PNG or JPEG, `audio` a base64 WAV. */
export type EventInput = { features: number[] } | { text: string } | { image: string } | { audio: string };
export type Label = string | number | null | StructuredLabel;
export interface LabelEvent {
  id: string;
  model?: string;
  input: EventInput;
  label: Label;
  weight?: number;
  ts?: number;
}

/**
 * A label sent by reference: the truth about a logged prediction (see the
 * prediction log), without its input. The joiner turns it into a complete
 * {@link LabelEvent}; trainers pass it by.
 */
export const labelReferenceSchema = z
  .object({
    id: z.string().min(1).max(256),
    model: z.string().min(1).max(128).optional(),
    prediction_id: z.string().min(1).max(256),
    label: z.union([z.string().min(1).max(256), finite]),
    weight: z.number().positive().optional(),
    ts: z.number().int().nonnegative().optional(),
  })
  .strict();

export interface LabelReference {
  id: string;
  model?: string;
  prediction_id: string;
  label: string | number;
  weight?: number;
  ts?: number;
}

/** One record of the prediction log (`streamtune.predictions`, key = id). */
export interface PredictionRecord {
  /** The prediction id returned to the caller. */
  id: string;
  model: string;
  version: string;
  input: EventInput;
  /** The answer: a label and its confidence (classification) or a value (regression). */
  output: { label?: string; confidence?: number; value?: number };
  /** When it was answered, ms since epoch. */
  ts: number;
}

export const predictionRecordSchema = z
  .object({
    id: z.string().min(1).max(256),
    model: z.string().min(1).max(128),
    version: z.string().min(1),
    input: eventInputSchema,
    output: z.object({ label: z.string().optional(), confidence: finite.optional(), value: finite.optional() }).strict(),
    ts: z.number().int().nonnegative(),
  })
  .strict();
