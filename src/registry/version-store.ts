import type { Dirent } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { MODEL_NAME, ModelLoadError, ModelNotFoundError, ModelSaveError, fileIOHandler, syncDir, writeDurable, writeFileAtomic } from '../core/index.js';
import { loadLearner, type Learner } from '../learners/index.js';
// Regime learners register their class names when their module loads: a saved self-training or
// encoder-head version must be loadable by every process that reads the registry.
import '../regimes/index.js';
import { installVersion } from './install-version.js';
import { removeAbandonedTemps, tmpName } from './temp-folders.js';
import { checkVersionName, isVersionName, type NewVersion, type VersionMeta, type VersionState } from './version-meta.js';

const META = 'meta.json';
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
  async save(model: string, learner: Learner, info: NewVersion, extras: Record<string, string | Buffer> = {}, opts: SaveOptions = {}): Promise<VersionMeta> {
    const versionsDir = path.join(this.modelDir(model), 'versions');
    // A checkpoint of a model deleted meanwhile must not bring it back (only a new root may create a model).
    if (info.parent !== null && !(await this.exists(model))) {
      throw new ModelNotFoundError(`model "${model}" was deleted from the registry ${this.root}`, { model });
    }
    await fs.mkdir(versionsDir, { recursive: true });
    const tmp = path.join(versionsDir, tmpName());
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

  private async saveFrom(tmp: string, model: string, learner: Learner, info: NewVersion, extras: Record<string, string | Buffer>, opts: SaveOptions): Promise<VersionMeta> {
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
      if (info.promotion?.promoted !== false) await this.markLatest(model, version);
      return meta;
    }
  }

  /**
   * Removes the temporary folders of saves (and removals) that will never finish:
   * their process on this host is gone (killed mid-save), or they are older than
   * an hour (any host). Those of live processes are kept. Returns the names removed.
   */
  removeAbandoned(model: string, now = Date.now()): Promise<string[]> {
    return removeAbandonedTemps(path.join(this.modelDir(model), 'versions'), now);
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

  /** An extra file saved with a version (UTF-8 text), or null when there is none. */
  async readExtra(model: string, version: string, name: string): Promise<string | null> {
    return (await this.readExtraBytes(model, version, name))?.toString('utf8') ?? null;
  }

  /** The bytes of an extra file saved with a version, or null when there is none. */
  readExtraBytes(model: string, version: string, name: string): Promise<Buffer | null> {
    return fs.readFile(path.join(this.versionDir(model, version), path.basename(name))).catch(() => null);
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

  /**
   * Removes one version (retention): renamed out of the version names at once,
   * then deleted. Refused (`protected`, nothing removed) for the newest version
   * (a trainer restores from it and numbers the next after it), the one LATEST
   * names and the pinned one: removing those is removing the model.
   */
  async removeVersion(model: string, version: string): Promise<'removed' | 'absent' | 'protected'> {
    const dir = this.versionDir(model, version);
    if (version === (await this.newest(model)) || version === (await this.latest(model)) || version === (await this.readState(model)).pinned) return 'protected';
    const gone = path.join(path.dirname(dir), tmpName());
    try {
      await fs.rename(dir, gone);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
      throw err;
    }
    await fs.rm(gone, { recursive: true, force: true });
    return 'removed';
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

  /** Installs a version made by another store (a mirror of a remote registry): see {@link installVersion}. */
  install(model: string, version: string, files: Record<string, Buffer>): Promise<boolean> {
    return installVersion(this, model, version, files);
  }

  /** Makes `version` the latest (the newest servable version). */
  markLatest(model: string, version: string): Promise<void> {
    return writeFileAtomic(path.join(this.modelDir(model), LATEST), version);
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
