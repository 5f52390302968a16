import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { ConfigError } from '../../core/index.js';
import { checkEvent, type ImportResult } from './import-result.js';

/** Folder whose files become unlabelled events. */
export const UNLABELLED_DIR = '_unlabelled';

const KIND_OF_EXTENSION: Record<string, 'image' | 'audio' | 'text'> = {
  '.png': 'image',
  '.jpg': 'image',
  '.jpeg': 'image',
  '.wav': 'audio',
  '.txt': 'text',
};

/**
 * Imports a folder-per-class tree, `DIR/<label>/<file>`: PNG/JPEG become image
 * events, WAV audio events, .txt text events; files under `DIR/_unlabelled/`
 * become unlabelled events. The id is the path relative to DIR, so importing
 * twice sends the same ids. Files of other types and corrupt files are rejected.
 *
 * @example
 * const { events, rejected } = await importFromDir('photos'); // photos/cat/1.png → label "cat"
 */
export async function importFromDir(dir: string): Promise<ImportResult> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch((err: Error) => {
    throw new ConfigError('--from-dir', `cannot read ${dir}: ${err.message}`);
  });
  const out: ImportResult = { events: [], rejected: [] };
  for (const cls of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const files = (await fs.readdir(path.join(dir, cls.name), { withFileTypes: true })).filter((f) => f.isFile()).sort((a, b) => a.name.localeCompare(b.name));
    for (const f of files) {
      const rel = `${cls.name}/${f.name}`;
      const kind = KIND_OF_EXTENSION[path.extname(f.name).toLowerCase()];
      if (!kind) {
        out.rejected.push({ source: rel, reason: 'unsupported_file', message: `${rel}: not a .png, .jpg, .jpeg, .wav or .txt file` });
        continue;
      }
      const bytes = await fs.readFile(path.join(dir, rel));
      const value = kind === 'text' ? bytes.toString('utf8').trim() : bytes.toString('base64');
      checkEvent({ id: rel, input: { [kind]: value }, label: cls.name === UNLABELLED_DIR ? null : cls.name }, rel, out);
    }
  }
  return out;
}
