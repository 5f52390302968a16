import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readEvents, splitCsvLine } from '../../src/ingest/index.js';

describe('CSV datasets', () => {
  it('splits quoted cells', () => {
    expect(splitCsvLine('a,"b, c","say ""hi""",')).toEqual(['a', 'b, c', 'say "hi"', '']);
  });

  it('reads features, numeric and string labels, empty label as unlabelled, and reports bad rows', async () => {
    const file = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'st-csv-')), 'd.csv');
    await fs.writeFile(file, 'id,f1,f2,label\na,1,2,yes\nb,3,4,\nc,5,x,no\nd,7,8,2.5\n');
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
    const file = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'st-csv-')), 't.csv');
    await fs.writeFile(file, 'text,label\n"cheap, pills",spam\n');
    expect((await readEvents(file)).events).toEqual([{ id: 'row-1', input: { text: 'cheap, pills' }, label: 'spam' }]);
  });
});
