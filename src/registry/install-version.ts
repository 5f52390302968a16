import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { InvalidInputError, ModelSaveError, syncDir, writeDurable } from '../core/index.js';
import { tmpName } from './temp-folders.js';
import { isVersionName, type VersionMeta } from './version-meta.js';

const META = 'meta.json';

/** What installing needs of the store it installs into (the VersionStore; an interface here so this file does not import it back). */
export interface InstallTarget {
  versionDir(model: string, version: string): string;
  has(model: string, version: string): Promise<boolean>;
  latest(model: string): Promise<string | null>;
  markLatest(model: string, version: string): Promise<void>;
}

/**
 * Installs a version made by another store (a mirror of a remote registry)
 * under its own name, as `save` writes one: files in a temporary directory,
 * fsynced, renamed into place. Marks it latest, as `save` would have, when it
 * was promoted and is newer than LATEST. Returns false, writing nothing, when
 * that version exists already.
 *
 * @example
 * await installVersion(store, 'digits', 'v7', { 'meta.json': metaBytes, 'model.json': …, 'weights.bin': … });
 */
export async function installVersion(store: InstallTarget, model: string, version: string, files: Record<string, Buffer>): Promise<boolean> {
  const dir = store.versionDir(model, version);
  for (const name of Object.keys(files)) {
    if (name !== path.basename(name) || name.startsWith('.')) throw new InvalidInputError('bad_file_name', 'file', `"${name.slice(0, 100)}" is not a version file name`, { model, version });
  }
  const metaBytes = files[META];
  const meta = metaBytes ? (JSON.parse(metaBytes.toString('utf8')) as Partial<VersionMeta>) : null;
  if (!meta || meta.model !== model || meta.version !== version) {
    throw new InvalidInputError('bad_meta', META, `${model}@${version} has no ${META} naming that model and version`, { model, version });
  }
  if (await store.has(model, version)) return false;
  const versionsDir = path.dirname(dir);
  await fs.mkdir(versionsDir, { recursive: true });
  const tmp = path.join(versionsDir, tmpName());
  try {
    await fs.mkdir(tmp);
    for (const [name, data] of Object.entries(files)) await writeDurable(path.join(tmp, name), data);
    await syncDir(tmp);
    await fs.rename(tmp, dir);
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
    throw new ModelSaveError(`cannot install ${model}@${version} in ${versionsDir}: ${(err as Error).message}`, { model, path: tmp }, err);
  }
  await syncDir(versionsDir);
  const latest = await store.latest(model);
  if (meta.promotion?.promoted !== false && (!latest || !isVersionName(latest) || Number(latest.slice(1)) < Number(version.slice(1)))) {
    await store.markLatest(model, version);
  }
  return true;
}
