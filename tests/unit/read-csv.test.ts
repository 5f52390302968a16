import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/index.js';
import { parseCsv, readEvents } from '../../src/ingest/index.js';
import { importFromCsv } from '../../src/labelling/importers/index.js';

async function csv(name: string, text: string): Promise<string> {
  const file = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'st-csv-')), name);
  await fs.writeFile(file, text);
  return file;
}

describe('CSV datasets', () => {
  it('splits quoted cells', () => {
    expect(parseCsv('h1,h2,h3,h4\na,"b, c","say ""hi""",\n', 'x.csv').rows).toEqual([{ line: 2, cells: ['a', 'b, c', 'say "hi"', ''] }]);
  });

  it('reads features, numeric and string labels, empty label as unlabelled, and reports bad rows', async () => {
    const file = await csv('d.csv', 'id,f1,f2,label\na,1,2,yes\nb,3,4,\nc,5,x,no\nd,7,8,2.5\n');
    const { events, rejected } = await readEvents(file);
    expect(events).toEqual([
      { id: 'a', input: { features: [1, 2] }, label: 'yes' },
      { id: 'b', input: { features: [3, 4] }, label: null },
      { id: 'd', input: { features: [7, 8] }, label: 2.5 },
    ]);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.line).toBe(4);
  });

  it('reads a text column', async () => {
    const file = await csv('t.csv', 'text,label\n"cheap, pills",spam\n');
    expect((await readEvents(file)).events).toEqual([{ id: 'row-1', input: { text: 'cheap, pills' }, label: 'spam' }]);
  });

  it('keeps a quoted newline inside its cell, and later rows keep their line numbers', async () => {
    const file = await csv('q.csv', 'id,text,label\r\nm1,"Dear team,\r\nthe minutes are attached.",ham\r\nm2,"win\n""free"" money",spam\r\nm3,x,\r\n\r\nm4,,bogus,extra\r\n');
    const { events, rejected } = await readEvents(file);
    expect(events).toEqual([
      { id: 'm1', input: { text: 'Dear team,\r\nthe minutes are attached.' }, label: 'ham' },
      { id: 'm2', input: { text: 'win\n"free" money' }, label: 'spam' },
      { id: 'm3', input: { text: 'x' }, label: null },
    ]);
    // m4 starts on line 8: m1 spans lines 2–3, m2 lines 4–5, m3 is line 6, line 7 is blank.
    expect(rejected.map((r) => r.line)).toEqual([8]);
  });

  it('the CSV importer keeps a quoted newline too', async () => {
    const file = await csv('i.csv', 'key,review,stars\nr1,"great,\nreally",5\nr2,meh,1\n');
    const r = await importFromCsv(file, { id: 'key', text: 'review', label: 'stars' });
    expect(r.events.map((e) => [e.id, e.input, e.label])).toEqual([
      ['r1', { text: 'great,\nreally' }, 5],
      ['r2', { text: 'meh' }, 1],
    ]);
  });

  it('an unclosed quote is a ConfigError naming the file and the line', async () => {
    const file = await csv('bad.csv', 'id,text,label\na,"never closed,spam\n');
    await expect(readEvents(file)).rejects.toThrow(ConfigError);
    await expect(readEvents(file)).rejects.toThrow(/bad\.csv is not valid CSV: .*line 2/);
  });
});
