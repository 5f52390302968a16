import { PNG } from 'pngjs';
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

/** A PNG with one bright square, and where the square is, in pixels. */
export interface ShapePng {
  png: string;
  square: { x: number; y: number; side: number };
}

/**
 * `n` grey PNGs of `width` × `height` pixels (base64), each with one bright
 * square (side 6 to 10 pixels) on faint noise, seeded. The square stays inside
 * the middle `height` × `height` of a wider image: the part a square model sees.
 */
export function shapePngs(n: number, seed: number, width = 40, height = 32): ShapePng[] {
  const rand = seededRandom(seed);
  const left = Math.floor((width - height) / 2);
  return Array.from({ length: n }, () => {
    const side = 6 + Math.floor(rand() * 5);
    const x = left + Math.floor(rand() * (height - side + 1));
    const y = Math.floor(rand() * (height - side + 1));
    const png = new PNG({ width, height });
    for (let py = 0; py < height; py++) {
      for (let px = 0; px < width; px++) {
        const inside = px >= x && px < x + side && py >= y && py < y + side;
        const v = Math.round(255 * (inside ? 0.8 + 0.2 * rand() : 0.15 * rand()));
        png.data.set([v, v, v, 255], (py * width + px) * 4);
      }
    }
    return { png: PNG.sync.write(png).toString('base64'), square: { x, y, side } };
  });
}
