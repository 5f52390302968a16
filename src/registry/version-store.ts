import type { Dirent } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { InvalidInputError, MODEL_NAME, ModelLoadError, ModelNotFoundError, ModelSaveError, fileIOHandler, syncDir, writeDurable, writeFileAtomic } from '../core/index.js';
import { loadLearner, type Learner } from '../learners/index.js';
// Regime learners register their class names when their module loads: a saved self-training or
// encoder-head version must be loadable by every process that reads the registry.
import '../regimes/index.js';
import { HOST, processAlive, tmpOwner } from './temp-folders.js';
import { checkVersionName, isVersionName, type NewVersion, type VersionMeta, type VersionState } from './version-meta.js';

const META = 'meta.json';
/** No save takes an hour: a temporary folder that old is abandoned whoever wrote it. */
const ABANDONED_AFTER_MS = 3_600_000;
const LATEST = 'LATEST';
const STATE = 'state.json';

export interface SaveOptions {
  /**
   * Runs once the version is complete in its temporary folder, before it is
   * installed under its name: publishing it where the next owner reads it (the
   * registry topic). When it throws, nothing is installed and the error is thrown.
   */
  beforeInstall?(staged: { model: string; version: string; dir: string; files: string[] }, meta: VersionMeta): Promise<void>;
}

/**
 * Model versions on disk: `<root>/<model>/versions/v<N>/{model.json,weights.bin,meta.json}`
 * and `<root>/<model>/LATEST`. A version is written into a temporary directory and
 * renamed into place, so readers (other replicas too) never see half a version.
 */
export class VersionStore {
  constructor(readonly root: string) {}

  private modelDir(model: string): string {
    return path.join(this.root, model);
  }

  /** Where a version lives; `version` must be a version name, so no caller can make a path of it. */
  versionDir(model: string, version: string): string {
    checkVersionName(version);
    return path.join(this.modelDir(model), 'versions', version);
  }

  /**
   * Saves a learner as the next version of `model` and marks it latest (the
   * newest servable version) unless `info.promotion.promoted` is false.
   * `extras` are more files for the version directory (e.g. trainer state).
   */
  async save(model: string, learner: Learner, info: NewVersion, extras: Record<string, string> = {}, opts: SaveOptions = {}): Promise<VersionMeta> {
    const versionsDir = path.join(this.modelDir(model), 'versions');
    // A checkpoint of a model deleted meanwhile must not bring it back (only a new root may create a model).
    if (info.parent !== null && !(await this.exists(model))) {
      throw new ModelNotFoundError(`model "${model}" was deleted from the registry ${this.root}`, { model });
    }
    await fs.mkdir(versionsDir, { recursive: true });
    const tmp = path.join(versionsDir, `.tmp-${HOST}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
    try {
      return await this.saveFrom(tmp, model, learner, info, extras, opts);
    } catch (err) {
      // A failed save (full disk, …) must not keep its partial bytes: the next one needs the space.
      await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
      // The hook's own failure (a refused publish, a fence) goes up as it is: nothing was installed.
      if (err instanceof HookFailure) throw err.cause;
      throw new ModelSaveError(`cannot save a version of "${model}" in ${versionsDir}: ${(err as Error).message}`, { model, path: tmp }, err);
    }
  }

  private async saveFrom(tmp: string, model: string, learner: Learner, info: NewVersion, extras: Record<string, string>, opts: SaveOptions): Promise<VersionMeta> {
    const versionsDir = path.dirname(tmp);
    await learner.save(fileIOHandler(tmp));
    for (const [name, content] of Object.entries(extras)) await writeDurable(path.join(tmp, path.basename(name)), content);
    for (;;) {
      const version = `v${(await this.highest(model)) + 1}`;
      const meta: VersionMeta = {
        model,
        version,
        createdAt: new Date().toISOString(),
        className: learner.className,
        config: learner.getConfig(),
        description: learner.describe(),
        ...info,
      };
      await writeDurable(path.join(tmp, META), JSON.stringify(meta, null, 2));
      if (opts.beforeInstall) {
        const staged = { model, version, dir: tmp, files: (await fs.readdir(tmp)).sort() };
        await opts.beforeInstall(staged, meta).catch((err: unknown) => Promise.reject(new HookFailure(err)));
      }
      try {
        await fs.rename(tmp, path.join(versionsDir, version));
      } catch (err) {
        const taken = (err as NodeJS.ErrnoException).code === 'ENOTEMPTY' || (err as NodeJS.ErrnoException).code === 'EEXIST';
        // Published before install: the mirror may have installed these very bytes first.
        if (taken && opts.beforeInstall) {
          await fs.rm(tmp, { recursive: true, force: true });
          return meta;
        }
        // Another writer took this number first: take the next one.
        if (taken) continue;
        throw err;
      }
      await syncDir(versionsDir);
      if (info.promotion?.promoted !== false) await writeFileAtomic(path.join(this.modelDir(model), LATEST), version);
      return meta;
    }
  }

  /**
   * Removes the temporary folders of saves that will never finish: their process
   * on this host is gone (killed mid-save), or they are older than an hour (any
   * host). Saves of live processes are kept. Returns the names removed.
   */
  async removeAbandoned(model: string, now = Date.now()): Promise<string[]> {
    const versionsDir = path.join(this.modelDir(model), 'versions');
    const names = (await fs.readdir(versionsDir).catch(() => [] as string[])).filter((n) => n.startsWith('.tmp-'));
    const removed: string[] = [];
    for (const name of names) {
      const dir = path.join(versionsDir, name);
      const stat = await fs.stat(dir).catch(() => null);
      if (!stat) continue;
      const owner = tmpOwner(name);
      const dead = owner !== null && owner.host === HOST && !processAlive(owner.pid);
      if (!dead && now - stat.mtimeMs < ABANDONED_AFTER_MS) continue;
      await fs.rm(dir, { recursive: true, force: true });
      removed.push(name);
    }
    return removed;
  }

  private async highest(model: string): Promise<number> {
    const names = await fs.readdir(path.join(this.modelDir(model), 'versions')).catch(() => [] as string[]);
    return names.reduce((m, n) => (isVersionName(n) ? Math.max(m, Number(n.slice(1))) : m), 0);
  }

  /**
   * The highest-numbered version: the newest checkpoint. The rename of its
   * directory is the commit point, so it exists even if a crash came before
   * `LATEST` was updated.
   */
  async newest(model: string): Promise<string | null> {
    const n = await this.highest(model);
    return n > 0 ? `v${n}` : null;
  }

  /** An extra file saved with a version, or null when there is none. */
  async readExtra(model: string, version: string, name: string): Promise<string | null> {
    try {
      return await fs.readFile(path.join(this.versionDir(model, version), path.basename(name)), 'utf8');
    } catch {
      return null;
    }
  }

  /** The latest version of a model, or null when it has none. */
  async latest(model: string): Promise<string | null> {
    try {
      return (await fs.readFile(path.join(this.modelDir(model), LATEST), 'utf8')).trim() || null;
    } catch {
      return null;
    }
  }

  /** Whether the model is in the registry (one stat: cheap enough to ask often, unlike listing its versions). */
  async exists(model: string): Promise<boolean> {
    return fs.stat(path.join(this.modelDir(model), 'versions')).then(
      () => true,
      () => false,
    );
  }

  /** Models with at least one version, sorted by name. */
  async models(): Promise<string[]> {
    const entries = await fs.readdir(this.root, { withFileTypes: true }).catch(() => [] as Dirent[]);
    const names = entries.filter((e) => e.isDirectory() && MODEL_NAME.test(e.name)).map((e) => e.name);
    const withVersions = await Promise.all(names.map(async (n) => ((await this.highest(n)) > 0 ? n : null)));
    return withVersions.filter((n): n is string => n !== null).sort();
  }

  /**
   * Removes a model: its folder is renamed out of the registry's model names at
   * once (one rename, so servers and trainers scanning the registry see it gone
   * whole), then deleted. Returns false when there was no such model.
   */
  async remove(model: string): Promise<boolean> {
    if (!MODEL_NAME.test(model)) throw new Error(`"${model}" is not a model name`);
    const gone = path.join(this.root, `.removed-${model}-${Date.now()}`);
    try {
      await fs.rename(this.modelDir(model), gone);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    await fs.rm(gone, { recursive: true, force: true });
    return true;
  }

  /** Versions of a model, oldest first. */
  async list(model: string): Promise<string[]> {
    const names = await fs.readdir(path.join(this.modelDir(model), 'versions')).catch(() => [] as string[]);
    return names.filter((n) => isVersionName(n)).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
  }

  async meta(model: string, version: string): Promise<VersionMeta> {
    try {
      return JSON.parse(await fs.readFile(path.join(this.versionDir(model, version), META), 'utf8')) as VersionMeta;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new ModelNotFoundError(`model "${model}" has no version "${version}" in ${this.root}`, { model, version });
      }
      throw err;
    }
  }

  /** Rebuilds a saved version (weights on the active backend). */
  async load(model: string, version: string): Promise<{ learner: Learner; meta: VersionMeta }> {
    const meta = await this.meta(model, version);
    try {
      const learner = await loadLearner(meta.className, meta.config, fileIOHandler(this.versionDir(model, version)));
      return { learner, meta };
    } catch (err) {
      throw new ModelLoadError(`cannot load ${model}@${version}: ${(err as Error).message}`, { model, version }, err);
    }
  }

  /** Names of the files of a version (weights, meta.json, extras), sorted. */
  async files(model: string, version: string): Promise<string[]> {
    const entries = await fs.readdir(this.versionDir(model, version), { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') throw new ModelNotFoundError(`model "${model}" has no version "${version}" in ${this.root}`, { model, version });
      throw err;
    });
    return entries.filter((e) => e.isFile()).map((e) => e.name).sort();
  }

  /** Whether a version of a model is in this store. */
  async has(model: string, version: string): Promise<boolean> {
    return fs.access(path.join(this.versionDir(model, version), META)).then(
      () => true,
      () => false,
    );
  }

  /**
   * Installs a version made by another store (a mirror of a remote registry)
   * under its own name, as `save` writes one: files in a temporary directory,
   * fsynced, renamed into place. Marks it latest, as `save` would have, when it
   * was promoted and is newer than LATEST. Returns false, writing nothing, when
   * that version exists already.
   */
  async install(model: string, version: string, files: Record<string, Buffer>): Promise<boolean> {
    const dir = this.versionDir(model, version);
    for (const name of Object.keys(files)) {
      if (name !== path.basename(name) || name.startsWith('.')) throw new InvalidInputError('bad_file_name', 'file', `"${name.slice(0, 100)}" is not a version file name`, { model, version });
    }
    const metaBytes = files[META];
    const meta = metaBytes ? (JSON.parse(metaBytes.toString('utf8')) as Partial<VersionMeta>) : null;
    if (!meta || meta.model !== model || meta.version !== version) {
      throw new InvalidInputError('bad_meta', META, `${model}@${version} has no ${META} naming that model and version`, { model, version });
    }
    if (await this.has(model, version)) return false;
    const versionsDir = path.dirname(dir);
    await fs.mkdir(versionsDir, { recursive: true });
    const tmp = path.join(versionsDir, `.tmp-${HOST}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
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
    const latest = await this.latest(model);
    if (meta.promotion?.promoted !== false && (!latest || !isVersionName(latest) || Number(latest.slice(1)) < Number(version.slice(1)))) {
      await writeFileAtomic(path.join(this.modelDir(model), LATEST), version);
    }
    return true;
  }

  /** The operator state of a model; no file means nothing pinned or rejected. */
  async readState(model: string): Promise<VersionState> {
    try {
      const raw = JSON.parse(await fs.readFile(path.join(this.modelDir(model), STATE), 'utf8')) as Partial<VersionState>;
      // Only version names count: a path written by an older server is never followed.
      const pinned = typeof raw.pinned === 'string' && isVersionName(raw.pinned) ? raw.pinned : null;
      return { pinned, rejected: (raw.rejected ?? []).filter((v) => typeof v === 'string' && isVersionName(v)) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { pinned: null, rejected: [] };
      throw err;
    }
  }

  /** Replaces the operator state atomically. */
  async writeState(model: string, state: VersionState): Promise<void> {
    await fs.mkdir(this.modelDir(model), { recursive: true });
    await writeFileAtomic(path.join(this.modelDir(model), STATE), JSON.stringify(state, null, 2));
  }
}

class HookFailure {
  constructor(readonly cause: unknown) {}
}
