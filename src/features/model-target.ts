import { imageSize, isStructured, labelTarget, shapesTarget, type Box, type EventInput, type Keypoint, type StructuredLabel } from '../ingest/index.js';
import type { FeatureSpec } from './feature-spec.js';

/**
 * What a learner learns from an event's label ({@link labelTarget}), with boxes
 * and keypoints moved into the frame the model sees: `featurize` centre-crops
 * an image to the model's aspect ratio before resizing it, so a label's pixels
 * (or fractions) of the whole image become fractions of that crop (`relative`
 * units). Boxes are clipped to the crop and keypoints outside it dropped; when
 * the aspect ratios match, fractions stay as they were. Other labels pass as
 * `labelTarget` gives them.
 *
 * @example
 * // A 64×32 image, a 32×32 model: the crop is the middle 32×32.
 * modelTarget({ image: png64x32 }, { keypoints: [{ x: 24, y: 8, label: 'eye' }] }, imageSpec(32, 32)); // '{"keypoints":[{"x":0.25,"y":0.25,"label":"eye"}],"units":"relative"}'
 */
export function modelTarget(input: EventInput, label: string | number | StructuredLabel, spec: FeatureSpec): string | number {
  if (!isStructured(label) || spec.kind !== 'image' || !('image' in input) || !('boxes' in label || 'keypoints' in label)) return labelTarget(label);
  const size = imageSize(Buffer.from(input.image, 'base64'));
  if (!size) return labelTarget(label);
  const relative = label.units === 'relative';
  const scale = Math.min(size.width / spec.width, size.height / spec.height);
  const cw = spec.width * scale;
  const ch = spec.height * scale;
  const x0 = (size.width - cw) / 2;
  const y0 = (size.height - ch) / 2;
  // Label units → pixels of the whole image → fractions of the crop.
  const fx = (v: number): number => ((relative ? v * size.width : v) - x0) / cw;
  const fy = (v: number): number => ((relative ? v * size.height : v) - y0) / ch;
  const sx = (v: number): number => (relative ? v * size.width : v) / cw;
  const sy = (v: number): number => (relative ? v * size.height : v) / ch;
  if ('keypoints' in label) {
    const points: Keypoint[] = label.keypoints.map((p) => ({ x: fx(p.x), y: fy(p.y), label: p.label })).filter((p) => p.x >= 0 && p.x <= 1 && p.y >= 0 && p.y <= 1);
    return shapesTarget('keypoints', points, 'relative');
  }
  const boxes: Box[] = label.boxes.flatMap((b) => {
    const left = Math.max(0, fx(b.x));
    const top = Math.max(0, fy(b.y));
    const right = Math.min(1, fx(b.x) + sx(b.w));
    const bottom = Math.min(1, fy(b.y) + sy(b.h));
    return right > left && bottom > top ? [{ x: left, y: top, w: right - left, h: bottom - top, label: b.label }] : [];
  });
  return shapesTarget('boxes', boxes, 'relative');
}
