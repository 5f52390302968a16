import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/core/index.js';
import { decodeRecord } from '../../src/features/index.js';
import { decodeEvent, labelTarget } from '../../src/ingest/index.js';
import { decodeLabelStudioRle, importFromLabelStudio } from '../../src/labelling/importers/index.js';
import { makePng } from '../helpers/media-fixtures.js';

const reject = (event: object): [string, string] => {
  try {
    decodeEvent(JSON.stringify(event));
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    return [(err as InvalidInputError).reason, (err as InvalidInputError).field];
  }
  throw new Error('expected a rejection');
};

/** Label Studio's brush RLE (rle-pack) of `bytes`, written with repeat runs only, as a test fixture. */
function encodeLsRle(bytes: Uint8Array): number[] {
  const bits: number[] = [];
  const put = (v: number, n: number): void => {
    for (let k = n - 1; k >= 0; k--) bits.push(Math.floor(v / 2 ** k) % 2);
  };
  put(bytes.length, 32);
  put(7, 5); // 8-bit words
  for (let k = 0; k < 4; k++) put(15, 4); // run lengths of 16 bits
  for (let i = 0; i < bytes.length; ) {
    let j = i;
    while (j < bytes.length && bytes[j] === bytes[i] && j - i < 65536) j++;
    put(1, 1);
    put(0, 2);
    put(j - i - 1, 16);
    put(bytes[i]!, 8);
    i = j;
  }
  while (bits.length % 8) bits.push(0);
  return Array.from({ length: bits.length / 8 }, (_, b) => bits.slice(b * 8, b * 8 + 8).reduce((a, x) => a * 2 + x, 0));
}

const png = makePng(4, 2, () => 128).toString('base64');
const image = { image: png };

describe('structured labels', () => {
  it('accepts each kind and gives a span label a canonical target', () => {
    const text = 'meet Alice in Paris';
    const e = decodeEvent(JSON.stringify({ id: 'a', input: { text }, label: { spans: [{ label: 'LOC', end: 19, start: 14 }, { start: 5, end: 10, label: 'PER' }] } }));
    expect(labelTarget(e.label as never)).toBe('{"spans":[{"start":5,"end":10,"label":"PER"},{"start":14,"end":19,"label":"LOC"}]}');
    expect(decodeEvent(JSON.stringify({ id: 'b', input: image, label: { boxes: [{ x: 0, y: 0, w: 4, h: 2, label: 'cat' }] } })).label).toEqual({ boxes: [{ x: 0, y: 0, w: 4, h: 2, label: 'cat' }] });
    expect(decodeEvent(JSON.stringify({ id: 'c', input: image, label: { units: 'relative', keypoints: [{ x: 0.5, y: 1, label: 'nose' }] } })).label).toBeTruthy();
    expect(decodeEvent(JSON.stringify({ id: 'd', input: image, label: { masks: [{ label: 'cat', rle: [3, 5] }, { label: 'dog', png }] } })).label).toBeTruthy();
  });

  it('dead-letters each bad structure with its reason, naming the field', () => {
    const text = { text: 'meet Alice' };
    expect(reject({ id: 'a', input: text, label: { spans: [{ start: 5, end: 11, label: 'PER' }] } })).toEqual(['span_outside_text', 'label.spans.0']);
    expect(reject({ id: 'a', input: text, label: { spans: [{ start: 0, end: 6, label: 'X' }, { start: 5, end: 10, label: 'PER' }] } })).toEqual(['overlapping_spans', 'label.spans.1']);
    expect(reject({ id: 'a', input: text, label: { spans: [{ start: 5, end: 5, label: 'PER' }] } })).toEqual(['schema', 'label.spans.0.end']);
    expect(reject({ id: 'a', input: text, label: { spans: [{ start: 5, end: 'x', label: 'PER' }] } })).toEqual(['schema', 'label.spans.0.end']);
    expect(reject({ id: 'a', input: text, label: { spans: [], boxes: [] } })).toEqual(['schema', 'label']);
    expect(reject({ id: 'a', input: text, label: { boxes: [] } })).toEqual(['wrong_label_kind', 'label.boxes']);
    expect(reject({ id: 'a', input: image, label: { spans: [] } })).toEqual(['wrong_label_kind', 'label.spans']);
    expect(reject({ id: 'a', input: image, label: { boxes: [{ x: 1, y: 0, w: 4, h: 2, label: 'cat' }] } })).toEqual(['box_outside_image', 'label.boxes.0']);
    expect(reject({ id: 'a', input: image, label: { units: 'relative', boxes: [{ x: 0.5, y: 0, w: 0.6, h: 1, label: 'cat' }] } })).toEqual(['box_outside_image', 'label.boxes.0']);
    expect(reject({ id: 'a', input: image, label: { keypoints: [{ x: 5, y: 0, label: 'nose' }] } })).toEqual(['keypoint_outside_image', 'label.keypoints.0']);
    expect(reject({ id: 'a', input: image, label: { masks: [{ label: 'cat', rle: [3, 6] }] } })).toEqual(['mask_size_mismatch', 'label.masks.0.rle']);
    expect(reject({ id: 'a', input: image, label: { masks: [{ label: 'cat', png: makePng(2, 2, () => 1).toString('base64') }] } })).toEqual(['mask_size_mismatch', 'label.masks.0.png']);
    expect(reject({ id: 'a', input: image, label: { masks: [{ label: 'cat' }] } })).toEqual(['schema', 'label.masks.0']);
  });

  it('checks item labels and the label kind against the model (unknown_label, wrong_label_kind)', () => {
    const record = (event: object) => ({ topic: 't', partition: 0, offset: '0', key: null, value: Buffer.from(JSON.stringify(event)), timestamp: '0', headers: {} });
    const spans = { featureSpec: { kind: 'chars' as const, dim: 100 }, labels: ['PER', 'LOC'], structured: 'spans' as const };
    const ok = decodeRecord(record({ id: 'a', input: { text: 'meet Alice' }, label: { spans: [{ start: 5, end: 10, label: 'PER' }] } }), spans);
    expect(ok.ok && ok.x.length).toBe(10);
    const unknown = decodeRecord(record({ id: 'a', input: { text: 'meet Alice' }, label: { spans: [{ start: 5, end: 10, label: 'ORG' }] } }), spans);
    expect(!unknown.ok && [unknown.reason, unknown.message]).toEqual(['unknown_label', 'label.spans.0.label "ORG" is not one of the model\'s labels (PER, LOC)']);
    const classLabel = decodeRecord(record({ id: 'a', input: { text: 'meet Alice' }, label: 'PER' }), spans);
    expect(!classLabel.ok && classLabel.reason).toBe('wrong_label_kind');
    const toClassifier = decodeRecord(record({ id: 'a', input: { text: 'meet Alice' }, label: { spans: [] } }), { featureSpec: { kind: 'text', dim: 8 }, labels: ['a', 'b'] });
    expect(!toClassifier.ok && toClassifier.reason).toBe('wrong_label_kind');
    const long = decodeRecord(record({ id: 'a', input: { text: 'x'.repeat(101) }, label: null }), spans);
    expect(!long.ok && long.reason).toBe('too_large');
  });

  describe('Label Studio import of each kind', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-ls-kinds-'));
    });
    afterAll(async () => {
      await fs.rm(dir, { recursive: true, force: true });
    });

    it('reads labels, rectanglelabels (percent), keypointlabels (percent) and brushlabels (RLE), and rejects what it cannot take', async () => {
      // A 4 × 2 brush mask: pixels 1, 2 and 5 painted (RGBA, alpha and colour alike).
      const rgba = new Uint8Array(4 * 2 * 4);
      for (const p of [1, 2, 5]) rgba.fill(255, p * 4, p * 4 + 4);
      const rle = encodeLsRle(rgba);
      expect(decodeLabelStudioRle(rle)).toEqual(rgba);
      const text = 'the meeting in Paris with Alice';
      const file = path.join(dir, 'export.json');
      await fs.writeFile(
        file,
        JSON.stringify([
          { id: 1, data: { text }, annotations: [{ result: [{ type: 'labels', value: { start: 15, end: 20, text: 'Paris', labels: ['LOC'] } }, { type: 'labels', value: { start: 26, end: 31, text: 'Alice', labels: ['PER'] } }] }] },
          { id: 2, data: { image: png }, annotations: [{ result: [{ type: 'rectanglelabels', original_width: 4, original_height: 2, value: { x: 25, y: 0, width: 50, height: 100, rotation: 0, rectanglelabels: ['cat'] } }] }] },
          { id: 3, data: { image: png }, annotations: [{ result: [{ type: 'keypointlabels', value: { x: 50, y: 50, width: 1, keypointlabels: ['nose'] } }] }] },
          { id: 4, data: { image: png }, annotations: [{ result: [{ type: 'brushlabels', original_width: 4, original_height: 2, value: { format: 'rle', rle, brushlabels: ['cat'] } }] }] },
          { id: 5, data: { image: png }, annotations: [{ result: [{ type: 'rectanglelabels', value: { x: 0, y: 0, width: 10, height: 10, rotation: 30, rectanglelabels: ['cat'] } }] }] },
          { id: 6, data: { text }, annotations: [{ result: [{ type: 'labels', value: { start: 15, end: 20, text: 'Alice', labels: ['PER'] } }] }] },
          { id: 7, data: { text: 'Paris' }, annotations: [{ result: [{ type: 'labels', value: { start: 0, end: 9, labels: ['LOC'] } }] }] },
        ]),
      );
      const r = await importFromLabelStudio(file);
      expect(r.events.map((e) => [e.id, e.label])).toEqual([
        ['ls-1', { spans: [{ start: 15, end: 20, label: 'LOC' }, { start: 26, end: 31, label: 'PER' }] }],
        ['ls-2', { units: 'relative', boxes: [{ x: 0.25, y: 0, w: 0.5, h: 1, label: 'cat' }] }],
        ['ls-3', { units: 'relative', keypoints: [{ x: 0.5, y: 0.5, label: 'nose' }] }],
        ['ls-4', { masks: [{ label: 'cat', rle: [1, 2, 2, 1, 2] }] }],
      ]);
      expect(r.rejected.map((x) => [x.source.replace(/.* task /, ''), x.reason])).toEqual([
        ['5', 'rotated_box'],
        ['6', 'span_text_mismatch'],
        ['7', 'span_outside_text'],
      ]);
    });
  });
});
