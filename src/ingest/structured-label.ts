import { z } from 'zod';

/** Most items (spans, boxes, masks, keypoints) in one structured label. */
export const MAX_LABEL_ITEMS = 1000;

const className = z.string().min(1).max(256);
const offset = z.number().int().nonnegative();
// zod 4's number() rejects NaN and ±Infinity.
const coord = z.number();
const units = z.enum(['pixels', 'relative']).optional();

/** A text span: `[start, end)` in UTF-16 code units of `input.text` (as JavaScript and Label Studio count). */
export const spanSchema = z.object({ start: offset, end: offset, label: className }).strict();
/** A box: top-left corner, width and height. */
export const boxSchema = z.object({ x: coord, y: coord, w: z.number().positive(), h: z.number().positive(), label: className }).strict();
/** One class's mask over the whole image: run lengths (`rle`) or a PNG (`png`, base64; non-zero pixels are the class). */
export const maskSchema = z
  .object({
    label: className,
    rle: z.array(z.number().int().nonnegative()).min(1).max(1_000_000).optional(),
    png: z.string().min(1).max(1_000_000).optional(),
  })
  .strict()
  .refine((m) => (m.rle === undefined) !== (m.png === undefined), { message: 'set exactly one of "rle" or "png"' });
export const keypointSchema = z.object({ x: coord, y: coord, label: className }).strict();

/**
 * A structured label: one object with exactly one of `spans`, `boxes`, `masks`
 * or `keypoints` (rather than a union, so an error names the exact field, e.g.
 * `label.spans.0.end`). `units` says how boxes and keypoints are measured:
 * `pixels` (the default) or `relative` (fractions of the image's width and height).
 */
export const structuredLabelSchema = z
  .object({
    spans: z.array(spanSchema).max(MAX_LABEL_ITEMS).optional(),
    boxes: z.array(boxSchema).max(MAX_LABEL_ITEMS).optional(),
    masks: z.array(maskSchema).max(256).optional(),
    keypoints: z.array(keypointSchema).max(MAX_LABEL_ITEMS).optional(),
    units,
  })
  .strict()
  .refine((l) => [l.spans, l.boxes, l.masks, l.keypoints].filter((v) => v !== undefined).length === 1, {
    message: 'set exactly one of "spans", "boxes", "masks" or "keypoints"',
  })
  .refine((l) => l.units === undefined || l.boxes !== undefined || l.keypoints !== undefined, { message: '"units" applies to boxes and keypoints only', path: ['units'] });

export interface Span {
  start: number;
  end: number;
  label: string;
}
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
  label: string;
}
/** `rle`: run lengths over the image's pixels in row-major order, alternating background and the class, starting with background (0 when the first pixel is the class); they add up to width × height. */
export interface Mask {
  label: string;
  rle?: number[];
  png?: string;
}
export interface Keypoint {
  x: number;
  y: number;
  label: string;
}
export type Units = 'pixels' | 'relative';

/** The four structured label kinds. */
export type StructuredLabel = { spans: Span[] } | { boxes: Box[]; units?: Units } | { masks: Mask[] } | { keypoints: Keypoint[]; units?: Units };
export type StructuredKind = 'spans' | 'boxes' | 'masks' | 'keypoints';
export const STRUCTURED_KINDS: readonly StructuredKind[] = ['spans', 'boxes', 'masks', 'keypoints'];

/** Which kind a structured label is. */
export function structuredKind(label: StructuredLabel): StructuredKind {
  return STRUCTURED_KINDS.find((k) => k in label)!;
}

/** True for a structured label (an object), false for a class, a number or null. */
export function isStructured(label: unknown): label is StructuredLabel {
  return typeof label === 'object' && label !== null && !Array.isArray(label);
}

/** The class names a structured label uses (each checked against the model's labels). */
export function itemLabels(label: StructuredLabel): string[] {
  const items: { label: string }[] = 'spans' in label ? label.spans : 'boxes' in label ? label.boxes : 'masks' in label ? label.masks : label.keypoints;
  return items.map((i) => i.label);
}

/**
 * What a learner learns from a label: the class or number as it is, and a
 * structured label as canonical JSON (spans sorted by start, keys in a fixed
 * order), so the learner protocol, the replay buffer and the guardrail keep
 * carrying one string per example, and two equal labels are equal strings.
 *
 * @example
 * labelTarget({ spans: [{ label: 'PER', end: 5, start: 0 }] }); // '{"spans":[{"start":0,"end":5,"label":"PER"}]}'
 */
export function labelTarget(label: string | number | StructuredLabel): string | number {
  if (!isStructured(label)) return label;
  if ('spans' in label) return spansTarget(label.spans);
  return JSON.stringify(label);
}

/** The target of a span label ({@link labelTarget}); extra keys of each span (a predicted span's `text`) are left out. */
export function spansTarget(spans: readonly Span[]): string {
  return JSON.stringify({ spans: sortSpans(spans).map(({ start, end, label }) => ({ start, end, label })) });
}

/** The spans of a span target ({@link labelTarget}); an empty list for anything else. */
export function spansOfTarget(y: string | number): Span[] {
  if (typeof y !== 'string' || !y.startsWith('{')) return [];
  const parsed = JSON.parse(y) as { spans?: Span[] };
  return parsed.spans ?? [];
}

/** Spans ordered by start, then end. */
export function sortSpans(spans: readonly Span[]): Span[] {
  return [...spans].sort((a, b) => a.start - b.start || a.end - b.end);
}

/**
 * Boxes or keypoints as a target ({@link labelTarget}'s form for them): items
 * in a fixed key order, `units` stated; extra keys (a prediction's `score`) kept.
 *
 * @example
 * shapesTarget('boxes', [{ x: 0.1, y: 0.2, w: 0.3, h: 0.3, label: 'cat' }], 'relative'); // '{"boxes":[…],"units":"relative"}'
 */
export function shapesTarget(kind: 'boxes' | 'keypoints', items: readonly (Box | Keypoint)[], units: Units): string {
  return JSON.stringify({ [kind]: items, units });
}

/** The boxes of a target (an empty list for anything else) and their units (`pixels` unless stated). */
export function boxesOfTarget(y: string | number): { boxes: Box[]; units: Units } {
  const parsed = parseTarget(y) as { boxes?: Box[]; units?: Units };
  return { boxes: parsed.boxes ?? [], units: parsed.units ?? 'pixels' };
}

/** The keypoints of a target (an empty list for anything else) and their units (`pixels` unless stated). */
export function keypointsOfTarget(y: string | number): { keypoints: Keypoint[]; units: Units } {
  const parsed = parseTarget(y) as { keypoints?: Keypoint[]; units?: Units };
  return { keypoints: parsed.keypoints ?? [], units: parsed.units ?? 'pixels' };
}

function parseTarget(y: string | number): object {
  return typeof y === 'string' && y.startsWith('{') ? (JSON.parse(y) as object) : {};
}
