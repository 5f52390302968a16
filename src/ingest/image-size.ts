/**
 * Width and height of a PNG or JPEG from its header, without decoding pixels:
 * enough to check a box, a keypoint or a mask against its image while the
 * event is validated. Null when the bytes are neither (featurizing rejects
 * them later as `bad_image`, naming the field).
 *
 * @example
 * imageSize(Buffer.from(pngBase64, 'base64')); // { width: 32, height: 24 }
 */
export function imageSize(b: Buffer): { width: number; height: number } | null {
  if (b.length >= 24 && b.readUInt32BE(0) === 0x89504e47 && b.readUInt32BE(4) === 0x0d0a1a0a) {
    return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  }
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) return jpegSize(b);
  return null;
}

/** Walks the JPEG's marker segments to the first start-of-frame (SOF0–SOF15 but DHT, JPG, DAC). */
function jpegSize(b: Buffer): { width: number; height: number } | null {
  let at = 2;
  while (at + 9 < b.length) {
    if (b[at] !== 0xff) return null;
    const marker = b[at + 1]!;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    const length = b.readUInt16BE(at + 2);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: b.readUInt16BE(at + 5), width: b.readUInt16BE(at + 7) };
    }
    at += 2 + length;
  }
  return null;
}
