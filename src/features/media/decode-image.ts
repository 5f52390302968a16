import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { InvalidInputError } from '../../core/index.js';

/** Decoded pixels, RGBA row-major (4 bytes per pixel). */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Largest encoded image accepted, in bytes. */
export const MAX_IMAGE_BYTES = 700_000;
/** Largest decoded image accepted, in pixels: bounds the memory a small, highly compressed file can claim. */
export const MAX_IMAGE_PIXELS = 4096 * 4096;

const isPng = (b: Buffer): boolean => b.length >= 8 && b.readUInt32BE(0) === 0x89504e47 && b.readUInt32BE(4) === 0x0d0a1a0a;
const isJpeg = (b: Buffer): boolean => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

/**
 * Decodes a base64 string into bytes, rejecting characters outside the base64
 * alphabet (Node's decoder silently skips them, which would hide corruption).
 */
export function decodeBase64(value: string, field: string, reason: string): Buffer {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 === 1) {
    throw new InvalidInputError(reason, field, `${field} is not valid base64`);
  }
  return Buffer.from(value, 'base64');
}

/** Width and height from a PNG header, read before decoding so huge images are refused cheaply. */
function pngSize(b: Buffer): { width: number; height: number } | undefined {
  return b.length >= 24 ? { width: b.readUInt32BE(16), height: b.readUInt32BE(20) } : undefined;
}

/**
 * Decodes a PNG or JPEG into RGBA pixels. Throws {@link InvalidInputError} with
 * reason `bad_image` (empty, unknown format, truncated or corrupt file) or
 * `too_large` (bytes or pixels over the limits), naming `field`.
 *
 * @example
 * const { width, height, data } = decodeImage(pngBytes, 'input.image');
 */
export function decodeImage(bytes: Buffer, field: string): RgbaImage {
  if (bytes.length === 0) throw new InvalidInputError('bad_image', field, `${field} is empty`);
  if (bytes.length > MAX_IMAGE_BYTES) {
    throw new InvalidInputError('too_large', field, `${field} is ${bytes.length} bytes, over the limit of ${MAX_IMAGE_BYTES}`);
  }
  const tooMany = (w: number, h: number): InvalidInputError =>
    new InvalidInputError('too_large', field, `${field} is ${w}×${h} pixels, over the limit of ${MAX_IMAGE_PIXELS} pixels`);
  if (isPng(bytes)) {
    const size = pngSize(bytes);
    if (size && size.width * size.height > MAX_IMAGE_PIXELS) throw tooMany(size.width, size.height);
    try {
      const png = PNG.sync.read(bytes);
      return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length) };
    } catch (err) {
      throw new InvalidInputError('bad_image', field, `${field} is not a readable PNG: ${(err as Error).message}`);
    }
  }
  if (isJpeg(bytes)) {
    let img: RgbaImage;
    try {
      img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_IMAGE_PIXELS / 1_000_000, maxMemoryUsageInMB: 256 });
    } catch (err) {
      const msg = (err as Error).message;
      if (/maxResolutionInMP|maxMemoryUsageInMB/.test(msg)) throw new InvalidInputError('too_large', field, `${field}: ${msg}`);
      throw new InvalidInputError('bad_image', field, `${field} is not a readable JPEG: ${msg}`);
    }
    if (img.width === 0 || img.height === 0) throw new InvalidInputError('bad_image', field, `${field} is not a readable JPEG: no pixels`);
    return { width: img.width, height: img.height, data: img.data };
  }
  throw new InvalidInputError('bad_image', field, `${field} is neither a PNG nor a JPEG (unknown file signature)`);
}
