import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

/** A PNG whose grey level at (x, y) is `shade(x, y)` in [0, 255]. */
export function makePng(width: number, height: number, shade: (x: number, y: number) => number): Buffer {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const v = Math.max(0, Math.min(255, Math.round(shade(x, y))));
      png.data[i] = png.data[i + 1] = png.data[i + 2] = v;
      png.data[i + 3] = 255;
    }
  return PNG.sync.write(png);
}

/** A JPEG with the same shading convention as {@link makePng}. */
export function makeJpeg(width: number, height: number, shade: (x: number, y: number) => number): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const v = Math.max(0, Math.min(255, Math.round(shade(x, y))));
      data.fill(v, (y * width + x) * 4, (y * width + x) * 4 + 3);
      data[(y * width + x) * 4 + 3] = 255;
    }
  return Buffer.from(jpeg.encode({ data, width, height }, 90).data);
}

/**
 * Horizontal or vertical stripes of period 8 px, so the two classes have equal
 * mean brightness and keep their contrast when halved to 8×8 at any phase.
 */
export const stripes = (dir: 'h' | 'v', phase = 0) => (x: number, y: number): number => ((((dir === 'h' ? y : x) + phase) >> 2) % 2 ? 230 : 25);

/** A WAV file of the given channels: 16-bit PCM, 32-bit float or 8-bit PCM. */
export function makeWav(channels: Float32Array[], sampleRate: number, encoding: 'pcm16' | 'float32' | 'pcm8' = 'pcm16'): Buffer {
  const nch = channels.length;
  const n = channels[0]!.length;
  const bytes = encoding === 'pcm16' ? 2 : encoding === 'float32' ? 4 : 1;
  const data = Buffer.alloc(n * nch * bytes);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < nch; c++) {
      const v = Math.max(-1, Math.min(1, channels[c]![i]!));
      const o = (i * nch + c) * bytes;
      if (encoding === 'pcm16') data.writeInt16LE(Math.round(v * 32767), o);
      else if (encoding === 'float32') data.writeFloatLE(v, o);
      else data[o] = Math.round(v * 127 + 128);
    }
  const fmt = Buffer.alloc(24);
  fmt.write('fmt ', 0, 'latin1');
  fmt.writeUInt32LE(16, 4);
  fmt.writeUInt16LE(encoding === 'float32' ? 3 : 1, 8);
  fmt.writeUInt16LE(nch, 10);
  fmt.writeUInt32LE(sampleRate, 12);
  fmt.writeUInt32LE(sampleRate * nch * bytes, 16);
  fmt.writeUInt16LE(nch * bytes, 20);
  fmt.writeUInt16LE(bytes * 8, 22);
  const head = Buffer.alloc(12);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(4 + fmt.length + 8 + data.length, 4);
  head.write('WAVE', 8, 'latin1');
  const dh = Buffer.alloc(8);
  dh.write('data', 0, 'latin1');
  dh.writeUInt32LE(data.length, 4);
  return Buffer.concat([head, fmt, dh, data]);
}

/** A sine tone of `hz` with a little seeded noise, `seconds` long. */
export function tone(hz: number, sampleRate: number, seconds: number, rand: () => number = () => 0.5, amp = 0.5): Float32Array {
  const phase = rand() * 2 * Math.PI;
  return Float32Array.from({ length: Math.round(sampleRate * seconds) }, (_, i) => amp * Math.sin((2 * Math.PI * hz * i) / sampleRate + phase) + (rand() - 0.5) * 0.02);
}
