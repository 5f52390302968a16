import { PNG } from 'pngjs';

/**
 * A feature vector with a declared shape (e.g. the 8×8 digits) as a greyscale
 * PNG a person can read: `rows × cols` cells, row-major, each `cellPx` pixels
 * square, the largest value black and the smallest white (ink on paper).
 *
 * @example
 * featureImagePng(digit, [8, 8]); // 192 × 192 PNG
 */
export function featureImagePng(values: readonly number[], shape: readonly [number, number], cellPx = 24): Buffer {
  const [rows, cols] = shape;
  const lo = Math.min(...values);
  const span = Math.max(...values) - lo || 1;
  const png = new PNG({ width: cols * cellPx, height: rows * cellPx, colorType: 0, inputColorType: 0, bitDepth: 8, inputHasAlpha: false });
  const grey = Buffer.alloc(png.width * png.height);
  for (let y = 0; y < png.height; y++) {
    for (let x = 0; x < png.width; x++) grey[y * png.width + x] = Math.round(255 * (1 - (values[Math.floor(y / cellPx) * cols + Math.floor(x / cellPx)]! - lo) / span));
  }
  png.data = grey;
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}
