import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/**
 * A media cell as base64: a value naming an existing file (relative to `baseDir`)
 * is read from disk, anything else is taken as base64 already. A missing file
 * is left as it is, so the event is rejected as a bad image or audio.
 */
export async function resolveMedia(value: unknown, baseDir: string): Promise<string> {
  const s = typeof value === 'string' ? value.trim() : '';
  if (s === '' || s.length > 4096) return s;
  const file = path.resolve(baseDir, s);
  try {
    return (await fs.readFile(file)).toString('base64');
  } catch {
    return s;
  }
}
