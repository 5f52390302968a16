import { seededRandom } from '../../src/core/index.js';
import type { Box, Keypoint } from '../../src/ingest/index.js';

export interface ShapeExample {
  /** Grey pixels in [0, 1], row-major: a model input of `imageSpec(size, size)`. */
  x: number[];
  /** The square's box, in relative units. */
  box: Box;
  /** Its centre and its top-left corner, in relative units. */
  keypoints: Keypoint[];
}

/**
 * Images of `size` × `size` grey pixels, each with one bright square (side 3 to
 * `size` / 3 pixels) somewhere on faint noise, seeded: the box learner should
 * find the square, the keypoint learner its `centre` and `corner`.
 */
export function shapeStream(n: number, seed: number, size = 16): ShapeExample[] {
  const rand = seededRandom(seed);
  const maxSide = Math.max(3, Math.floor(size / 3));
  return Array.from({ length: n }, () => {
    const side = 3 + Math.floor(rand() * (maxSide - 2));
    const x0 = Math.floor(rand() * (size - side + 1));
    const y0 = Math.floor(rand() * (size - side + 1));
    const x = Array.from({ length: size * size }, (_, i) => {
      const px = i % size;
      const py = Math.floor(i / size);
      const inside = px >= x0 && px < x0 + side && py >= y0 && py < y0 + side;
      return inside ? 0.8 + 0.2 * rand() : 0.15 * rand();
    });
    const box = { x: x0 / size, y: y0 / size, w: side / size, h: side / size, label: 'square' };
    const keypoints = [
      { x: (x0 + side / 2) / size, y: (y0 + side / 2) / size, label: 'centre' },
      { x: x0 / size, y: y0 / size, label: 'corner' },
    ];
    return { x, box, keypoints };
  });
}
