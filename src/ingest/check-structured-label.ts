import { InvalidInputError } from '../core/index.js';
import { imageSize } from './image-size.js';
import type { EventInput } from './label-event.js';
import type { Box, Keypoint, Mask, StructuredLabel, Units } from './structured-label.js';

/** Slack for relative coordinates converted from percentages (Label Studio's 100 / 3 and the like). */
const EPS = 1e-9;

/**
 * Checks a structured label against its own input: spans inside the text and
 * not overlapping, boxes and keypoints inside the image, masks the size of the
 * image. Throws {@link InvalidInputError} with reason `wrong_label_kind`,
 * `span_outside_text`, `overlapping_spans`, `box_outside_image`,
 * `keypoint_outside_image`, `mask_size_mismatch` or `bad_image`, naming the field
 * (e.g. `label.spans.2.end`). Whether the item labels are the model's is checked
 * where the model is known (`decodeRecord`: `unknown_label`).
 *
 * @example
 * checkStructuredLabel({ text: 'Alice' }, { spans: [{ start: 0, end: 9, label: 'PER' }] }); // throws span_outside_text
 */
export function checkStructuredLabel(input: EventInput, label: StructuredLabel): void {
  if ('spans' in label) {
    if (!('text' in input)) throw new InvalidInputError('wrong_label_kind', 'label.spans', 'label.spans marks text: the input must be "text"');
    const n = input.text.length;
    label.spans.forEach((s, i) => {
      if (s.end <= s.start) throw new InvalidInputError('schema', `label.spans.${i}.end`, `field "label.spans.${i}.end": ${s.end} is not after start ${s.start}`);
      if (s.end > n) throw new InvalidInputError('span_outside_text', `label.spans.${i}`, `label.spans.${i} [${s.start}, ${s.end}) ends past the text's ${n} characters`);
    });
    const order = label.spans.map((s, i) => ({ s, i })).sort((a, b) => a.s.start - b.s.start || a.s.end - b.s.end);
    for (let k = 1; k < order.length; k++) {
      const prev = order[k - 1]!;
      const cur = order[k]!;
      if (cur.s.start < prev.s.end) {
        throw new InvalidInputError('overlapping_spans', `label.spans.${cur.i}`, `label.spans.${cur.i} [${cur.s.start}, ${cur.s.end}) overlaps label.spans.${prev.i} [${prev.s.start}, ${prev.s.end})`);
      }
    }
    return;
  }
  const kind = Object.keys(label).find((k) => k !== 'units')!;
  if (!('image' in input)) throw new InvalidInputError('wrong_label_kind', `label.${kind}`, `label.${kind} marks an image: the input must be "image"`);
  const size = imageSize(Buffer.from(input.image, 'base64'));
  if (!size) throw new InvalidInputError('bad_image', 'input.image', 'input.image is neither a PNG nor a JPEG (unknown file signature)');
  if ('boxes' in label) label.boxes.forEach((b, i) => checkBox(b, i, label.units ?? 'pixels', size));
  else if ('keypoints' in label) label.keypoints.forEach((p, i) => checkKeypoint(p, i, label.units ?? 'pixels', size));
  else label.masks.forEach((m, i) => checkMask(m, i, size));
}

type Size = { width: number; height: number };

function bounds(units: Units, size: Size): Size {
  return units === 'relative' ? { width: 1, height: 1 } : size;
}

function checkBox(b: Box, i: number, units: Units, size: Size): void {
  const { width, height } = bounds(units, size);
  if (b.x < -EPS || b.y < -EPS || b.x + b.w > width + EPS || b.y + b.h > height + EPS) {
    throw new InvalidInputError('box_outside_image', `label.boxes.${i}`, `label.boxes.${i} (x ${b.x}, y ${b.y}, w ${b.w}, h ${b.h}) is not inside the image (${width} × ${height} ${units})`);
  }
}

function checkKeypoint(p: Keypoint, i: number, units: Units, size: Size): void {
  const { width, height } = bounds(units, size);
  if (p.x < -EPS || p.y < -EPS || p.x > width + EPS || p.y > height + EPS) {
    throw new InvalidInputError('keypoint_outside_image', `label.keypoints.${i}`, `label.keypoints.${i} (x ${p.x}, y ${p.y}) is not inside the image (${width} × ${height} ${units})`);
  }
}

function checkMask(m: Mask, i: number, size: Size): void {
  const pixels = size.width * size.height;
  if (m.rle) {
    const sum = m.rle.reduce((a, b) => a + b, 0);
    if (sum !== pixels) throw new InvalidInputError('mask_size_mismatch', `label.masks.${i}.rle`, `label.masks.${i}.rle covers ${sum} pixels, the image has ${size.width} × ${size.height} = ${pixels}`);
    return;
  }
  const png = imageSize(Buffer.from(m.png!, 'base64'));
  if (!png) throw new InvalidInputError('bad_image', `label.masks.${i}.png`, `label.masks.${i}.png is not a PNG`);
  if (png.width !== size.width || png.height !== size.height) {
    throw new InvalidInputError('mask_size_mismatch', `label.masks.${i}.png`, `label.masks.${i}.png is ${png.width} × ${png.height}, the image is ${size.width} × ${size.height}`);
  }
}
