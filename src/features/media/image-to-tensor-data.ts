import { InvalidInputError } from '../../core/index.js';
import type { RgbaImage } from './decode-image.js';

/** The model's image input: size and channels (1 = luminance, 3 = RGB). */
export interface ImageShape {
  width: number;
  height: number;
  channels: 1 | 3;
}

/**
 * Centre-crops an image to the model's aspect ratio, resizes it bilinearly to
 * the model's size and normalises values to [0, 1], row-major HWC. Alpha is
 * composited over black so transparent pixels do not carry hidden colour.
 * Images under a quarter of the model's size in a dimension are rejected as
 * `wrong_dimension`: upscaling them would invent the detail the model learns from.
 *
 * @example
 * imageToTensorData(decodeImage(bytes, 'image'), { width: 16, height: 16, channels: 1 }, 'image'); // 256 values
 */
export function imageToTensorData(img: RgbaImage, shape: ImageShape, field: string): number[] {
  const { width: W, height: H, channels: C } = shape;
  if (img.width * 4 < W || img.height * 4 < H) {
    throw new InvalidInputError('wrong_dimension', field, `${field} is ${img.width}×${img.height}, too small for the model's ${W}×${H} input`);
  }
  // Crop window with the model's aspect ratio, centred.
  const scale = Math.min(img.width / W, img.height / H);
  const cw = W * scale;
  const ch = H * scale;
  const x0 = (img.width - cw) / 2;
  const y0 = (img.height - ch) / 2;
  const px = (x: number, y: number, c: number): number => {
    const i = (y * img.width + x) * 4;
    return (img.data[i + c]! * img.data[i + 3]!) / (255 * 255);
  };
  const out = new Array<number>(W * H * C);
  for (let oy = 0; oy < H; oy++) {
    const sy = Math.min(img.height - 1, Math.max(0, y0 + (oy + 0.5) * scale - 0.5));
    const ya = Math.floor(sy);
    const yb = Math.min(img.height - 1, ya + 1);
    const fy = sy - ya;
    for (let ox = 0; ox < W; ox++) {
      const sx = Math.min(img.width - 1, Math.max(0, x0 + (ox + 0.5) * scale - 0.5));
      const xa = Math.floor(sx);
      const xb = Math.min(img.width - 1, xa + 1);
      const fx = sx - xa;
      const rgb = [0, 1, 2].map(
        (c) => (px(xa, ya, c) * (1 - fx) + px(xb, ya, c) * fx) * (1 - fy) + (px(xa, yb, c) * (1 - fx) + px(xb, yb, c) * fx) * fy,
      );
      const o = (oy * W + ox) * C;
      if (C === 1) out[o] = 0.299 * rgb[0]! + 0.587 * rgb[1]! + 0.114 * rgb[2]!;
      else for (let c = 0; c < 3; c++) out[o + c] = rgb[c]!;
    }
  }
  return out;
}
