import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ModelNotFoundError } from '../../src/core/index.js';
import { buildReport, crc32, encodePng, renderLineChart } from '../../src/ops/report/index.js';

/** Reads a PNG back: chunk types (CRCs checked) and the RGB pixels after un-filtering filter 0 rows. */
function decode(png: Buffer): { types: string[]; width: number; height: number; rgb: Buffer } {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const types: string[] = [];
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  for (let o = 8; o < png.length; ) {
    const len = png.readUInt32BE(o);
    const type = png.toString('ascii', o + 4, o + 8);
    const data = png.subarray(o + 8, o + 8 + len);
    expect(png.readUInt32BE(o + 8 + len)).toBe(crc32(png.subarray(o + 4, o + 8 + len)));
    types.push(type);
    if (type === 'IHDR') [width, height] = [data.readUInt32BE(0), data.readUInt32BE(4)];
    if (type === 'IDAT') idat.push(data);
    o += 12 + len;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const rgb = Buffer.concat(Array.from({ length: height }, (_, y) => raw.subarray(y * (width * 3 + 1) + 1, (y + 1) * (width * 3 + 1))));
  return { types, width, height, rgb };
}

describe('PNG encoder and line chart', () => {
  it('crc32 matches the standard check value', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('encodes pixels that decode back unchanged', () => {
    const rgb = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9]);
    const d = decode(encodePng(2, 2, rgb));
    expect(d.types).toEqual(['IHDR', 'IDAT', 'IEND']);
    expect([d.width, d.height]).toEqual([2, 2]);
    expect([...d.rgb]).toEqual([...rgb]);
    expect(() => encodePng(2, 2, new Uint8Array(3))).toThrow(/expected 12 bytes/);
  });

  it('draws the series where its values are, and the markers', async () => {
    const { png, y } = renderLineChart({ width: 100, height: 50, series: [{ name: 's', color: [0, 0, 200], points: [[0, 1], [1000, 1]] }], markers: [500], yMin: 0, yMax: 1 });
    expect(y).toEqual([0, 1]);
    const d = decode(png);
    const at = (x: number, yy: number): number[] => [...d.rgb.subarray((yy * 100 + x) * 3, (yy * 100 + x) * 3 + 3)];
    // value 1 = the top of the plot area (8 px padding); the marker is red and dashed at mid-width.
    expect(at(50 - 20, 8)).toEqual([0, 0, 200]);
    expect(at(50, 24)).toEqual([214, 39, 40]);
    expect(at(30, 30)).toEqual([255, 255, 255]);
    const file = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'st-png-')), 'c.png');
    await fs.writeFile(file, png);
    expect((await fs.stat(file)).size).toBeLessThan(5000);
  });
});

describe('buildReport', () => {
  it('a model without versions is a ModelNotFoundError naming the model and the registry', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-report-'));
    const report = buildReport({ registryDir: path.join(dir, 'reg'), model: 'absent', outDir: path.join(dir, 'out') });
    await expect(report).rejects.toBeInstanceOf(ModelNotFoundError);
    await expect(report).rejects.toMatchObject({ code: 'model_not_found', context: { model: 'absent' }, message: expect.stringContaining('has no versions in') });
    await fs.rm(dir, { recursive: true, force: true });
  });
});
