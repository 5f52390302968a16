import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFromCsv, importFromDir, importFromJsonl, importFromLabelStudio } from '../../src/labelling/importers/index.js';
import { makePng, makeWav, stripes, tone } from '../helpers/media-fixtures.js';

let dir: string;
const png = makePng(16, 16, stripes('h'));
const wav = makeWav([tone(440, 8000, 0.1)], 8000);

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-import-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function write(rel: string, data: string | Buffer): Promise<string> {
  const file = path.join(dir, rel);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, data);
  return file;
}

describe('importers', () => {
  it('--from-dir: one folder per class, _unlabelled, images, audio and texts; corrupt and unknown files rejected', async () => {
    await write('tree/cat/a.png', png);
    await write('tree/cat/b.PNG', png.subarray(0, 40));
    await write('tree/dog/bark.wav', wav);
    await write('tree/dog/notes.txt', '  a good dog \n');
    await write('tree/dog/readme.md', '# no');
    await write('tree/_unlabelled/c.png', png);
    const { events, rejected } = await importFromDir(path.join(dir, 'tree'));
    expect(events.map((e) => [e.id, Object.keys(e.input)[0], e.label])).toEqual([
      ['_unlabelled/c.png', 'image', null],
      ['cat/a.png', 'image', 'cat'],
      ['dog/bark.wav', 'audio', 'dog'],
      ['dog/notes.txt', 'text', 'dog'],
    ]);
    expect(events[3]!.input).toEqual({ text: 'a good dog' });
    expect(rejected.map((r) => [r.source, r.reason])).toEqual([
      ['cat/b.PNG', 'bad_image'],
      ['dog/readme.md', 'unsupported_file'],
    ]);
  });

  it('--from-csv: mapped columns, media paths relative to the file, empty label = unlabelled, bad rows with line numbers', async () => {
    await write('csv/img/x.png', png);
    const file = await write('csv/data.csv', ['key,review,stars,pic', 'r1,"great, really",5,', 'r2,meh,,', 'r3,,2,'].join('\n'));
    const text = await importFromCsv(file, { id: 'key', text: 'review', label: 'stars' });
    expect(text.events.map((e) => [e.id, e.input, e.label])).toEqual([
      ['r1', { text: 'great, really' }, 5],
      ['r2', { text: 'meh' }, null],
    ]);
    expect(text.rejected.map((r) => [r.source, r.reason])).toEqual([[`${file}:4`, 'schema']]);
    const imgFile = await write('csv/images.csv', ['file,label,f1,f2', 'img/x.png,striped,1,2', 'img/missing.png,striped,3,4'].join('\n'));
    const images = await importFromCsv(imgFile, { image: 'file' });
    expect(images.events).toHaveLength(1);
    expect(images.events[0]!.input).toEqual({ image: png.toString('base64') });
    expect(images.rejected.map((r) => r.reason)).toEqual(['bad_image']);
    const feats = await importFromCsv(imgFile, { features: ['f1', 'f2'] });
    expect(feats.events.map((e) => e.input)).toEqual([{ features: [1, 2] }, { features: [3, 4] }]);
    await expect(importFromCsv(file, { text: 'nope' })).rejects.toThrow(/no "nope" column/);
  });

  it('--from-jsonl: dotted field mapping, array or per-field features, bad lines with their reason', async () => {
    const file = await write(
      'data.jsonl',
      [
        JSON.stringify({ tweet: { id: 7, body: 'hello' }, meta: { sentiment: 'pos' } }),
        JSON.stringify({ tweet: { id: 8, body: 'bye' } }),
        '{not json',
        JSON.stringify({ tweet: { id: 9, body: '' }, meta: { sentiment: 'neg' } }),
      ].join('\n'),
    );
    const r = await importFromJsonl(file, { id: 'tweet.id', text: 'tweet.body', label: 'meta.sentiment' });
    expect(r.events.map((e) => [e.id, e.input, e.label])).toEqual([
      ['7', { text: 'hello' }, 'pos'],
      ['8', { text: 'bye' }, null],
    ]);
    expect(r.rejected.map((x) => [x.source, x.reason])).toEqual([
      [`${file}:3`, 'bad_json'],
      [`${file}:4`, 'schema'],
    ]);
    const vec = await write('vec.jsonl', `${JSON.stringify({ x: [1, 2, 3], a: 1, b: 2, y: 'k', aud: wav.toString('base64') })}\n`);
    expect((await importFromJsonl(vec, { features: ['x'], label: 'y' })).events[0]!.input).toEqual({ features: [1, 2, 3] });
    expect((await importFromJsonl(vec, { features: ['a', 'b'], label: 'y' })).events[0]!.input).toEqual({ features: [1, 2] });
    expect((await importFromJsonl(vec, { audio: 'aud', label: 'y' })).events[0]!.input).toEqual({ audio: wav.toString('base64') });
  });

  it('--from-label-studio: the newest non-cancelled choice labels the task, uploads resolve under the media root', async () => {
    await write('ls/media/upload/1/p.png', png);
    const file = await write(
      'ls/export.json',
      JSON.stringify([
        {
          id: 1,
          data: { text: 'the service was slow' },
          annotations: [
            { result: [{ type: 'choices', value: { choices: ['Negative'] } }], updated_at: '2026-01-02' },
            { result: [{ type: 'choices', value: { choices: ['Positive'] } }], updated_at: '2026-01-01' },
            { result: [{ type: 'choices', value: { choices: ['Neutral'] } }], updated_at: '2026-01-03', was_cancelled: true },
          ],
        },
        { id: 2, data: { image: '/data/upload/1/p.png' }, annotations: [{ result: [{ type: 'choices', value: { choices: ['Stripes'] } }] }] },
        { id: 3, data: { text: 'not labelled yet' }, annotations: [] },
        { id: 4, data: { text: 'an empty box region' }, annotations: [{ result: [{ type: 'rectanglelabels', value: {} }] }] },
        { id: 5, data: { image: '/data/upload/1/gone.png' }, annotations: [{ result: [{ type: 'choices', value: { choices: ['Stripes'] } }] }] },
      ]),
    );
    const r = await importFromLabelStudio(file, { mediaRoot: path.join(dir, 'ls/media/upload') });
    expect(r.events.map((e) => [e.id, Object.keys(e.input)[0], e.label])).toEqual([
      ['ls-1', 'text', 'Negative'],
      ['ls-2', 'image', 'Stripes'],
      ['ls-3', 'text', null],
    ]);
    expect(r.events[1]!.input).toEqual({ image: png.toString('base64') });
    expect(r.rejected.map((x) => x.reason)).toEqual(['schema', 'bad_image']);
    await expect(importFromLabelStudio(await write('ls/bad.json', '{"a":1}'))).rejects.toThrow(/array of tasks/);
  });
});
