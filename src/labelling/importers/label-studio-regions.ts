import { decodeLabelStudioRle, maskRuns } from './label-studio-rle.js';

/** One region of a Label Studio annotation (`result` entry), as its JSON export has it. */
export interface LsRegion {
  type?: string;
  original_width?: number;
  original_height?: number;
  value?: {
    start?: number;
    end?: number;
    text?: string;
    labels?: string[];
    x?: number;
    y?: number;
    width?: number;
    height?: number;
    rotation?: number;
    rectanglelabels?: string[];
    keypointlabels?: string[];
    format?: string;
    rle?: number[];
    brushlabels?: string[];
  };
}

/** Label Studio result types that carry a structured label, and the kind each becomes. */
export const LS_REGION_KINDS: Record<string, 'spans' | 'boxes' | 'masks' | 'keypoints'> = {
  labels: 'spans',
  rectanglelabels: 'boxes',
  brushlabels: 'masks',
  keypointlabels: 'keypoints',
};

/** Why a region cannot become a label: a reason code and a message. */
export class RegionError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * An annotation's regions as one structured label: `labels` → spans (character
 * offsets as Label Studio gives them, checked against the region's `text`),
 * `rectanglelabels` and `keypointlabels` → boxes and keypoints in relative units
 * (Label Studio's are percentages of the image), `brushlabels` → masks as run
 * lengths (one per class, regions of a class merged). Throws {@link RegionError}
 * (`mixed_label_kinds`, `rotated_box`, `span_text_mismatch`, `bad_mask`).
 *
 * @example
 * regionsToLabel([{ type: 'labels', value: { start: 5, end: 10, text: 'Alice', labels: ['PER'] } }], 'meet Alice');
 * // { spans: [{ start: 5, end: 10, label: 'PER' }] }
 */
export function regionsToLabel(regions: readonly LsRegion[], text: unknown): Record<string, unknown> {
  const kinds = [...new Set(regions.map((r) => LS_REGION_KINDS[r.type ?? '']))];
  if (kinds.length !== 1) throw new RegionError('mixed_label_kinds', `regions of several kinds (${kinds.join(', ')}): streamtune takes one kind per event`);
  const first = (l?: string[]): string => l?.[0] ?? '';
  const pct = (v: number | undefined): number => (v ?? Number.NaN) / 100;
  switch (kinds[0]) {
    case 'spans':
      return { spans: regions.map((r) => span(r, typeof text === 'string' ? text : '')) };
    case 'boxes':
      return {
        units: 'relative',
        boxes: regions.map((r) => {
          const v = r.value ?? {};
          if (v.rotation) throw new RegionError('rotated_box', `a box rotated by ${v.rotation}°: streamtune's boxes are axis-aligned`);
          return { x: pct(v.x), y: pct(v.y), w: pct(v.width), h: pct(v.height), label: first(v.rectanglelabels) };
        }),
      };
    case 'keypoints':
      return { units: 'relative', keypoints: regions.map((r) => ({ x: pct(r.value?.x), y: pct(r.value?.y), label: first(r.value?.keypointlabels) })) };
    default:
      return { masks: masks(regions) };
  }
}

/** A span; Label Studio counts offsets in UTF-16 units, but a region whose text says otherwise is taken in code points. */
function span(r: LsRegion, text: string): { start: number; end: number; label: string } {
  const v = r.value ?? {};
  const start = v.start ?? -1;
  const end = v.end ?? -1;
  const label = v.labels?.[0] ?? '';
  if (v.text === undefined || text.slice(start, end) === v.text) return { start, end, label };
  const points = [...text];
  const s = points.slice(0, start).join('').length;
  const e = s + points.slice(start, end).join('').length;
  if (text.slice(s, e) === v.text) return { start: s, end: e, label };
  throw new RegionError('span_text_mismatch', `span [${start}, ${end}) says "${v.text}", the text there is "${text.slice(start, end)}"`);
}

/** Brush regions merged per class into run lengths over the image. */
function masks(regions: readonly LsRegion[]): { label: string; rle: number[] }[] {
  const byClass = new Map<string, Uint8Array>();
  for (const r of regions) {
    const v = r.value ?? {};
    if (v.format !== 'rle' || !v.rle) throw new RegionError('bad_mask', `a brush region in format "${v.format}": only "rle" is read`);
    const w = r.original_width ?? 0;
    const h = r.original_height ?? 0;
    let rgba: Uint8Array;
    try {
      rgba = decodeLabelStudioRle(v.rle);
    } catch (err) {
      throw new RegionError('bad_mask', `a brush region's RLE cannot be read: ${(err as Error).message}`);
    }
    if (rgba.length !== w * h * 4) throw new RegionError('bad_mask', `a brush region's RLE holds ${rgba.length} bytes, ${w} × ${h} RGBA needs ${w * h * 4}`);
    const label = v.brushlabels?.[0] ?? '';
    const on = byClass.get(label) ?? new Uint8Array(w * h);
    // Label Studio paints the mask into the alpha channel (and the colour channels alike).
    for (let p = 0; p < w * h; p++) if (rgba[p * 4 + 3]! > 0) on[p] = 1;
    byClass.set(label, on);
  }
  return [...byClass].map(([label, on]) => ({ label, rle: maskRuns(on) }));
}
