import { ModelNotFoundError, TypedEmitter } from '../core/index.js';
import type { ModelHolder } from './model-holder.js';
import type { VersionControl } from './version-control.js';

/** One served model: its loaded versions and who decides which one serves. */
export interface ServedModel {
  readonly name: string;
  readonly holder: ModelHolder;
  readonly control: VersionControl;
}

/** What a {@link ModelFleet} emits. */
export interface ModelFleetEvents {
  added: (model: ServedModel) => void;
  removed: (model: ServedModel) => void;
}

/**
 * The models one server serves, by name. Every RPC names its model (the Open
 * Inference Protocol's `model_name`, streamtune's `model`); an empty name means
 * the default model, or the only one when one is served. Models are added and
 * removed while serving: a call holds a lease on a version, so removing a model
 * never cuts a call short.
 *
 * @example
 * const fleet = new ModelFleet('digits');
 * fleet.add({ name: 'digits', holder, control });
 * fleet.get('').holder.acquire(); // digits
 */
export class ModelFleet extends TypedEmitter<ModelFleetEvents> {
  private readonly models = new Map<string, ServedModel>();
  /** Models an operator unloaded (Triton's repository extension): kept loaded, answering no call. */
  private readonly unloaded = new Set<string>();

  /** `defaultModel`: the model of calls that name none (when several are served). */
  constructor(readonly defaultModel: string) {
    super();
    this.setMaxListeners(0);
  }

  /** A fleet of one model (tests, embedding). */
  static of(model: ServedModel): ModelFleet {
    const fleet = new ModelFleet(model.name);
    fleet.add(model);
    return fleet;
  }

  get size(): number {
    return this.models.size;
  }

  /** Served model names, sorted. */
  names(): string[] {
    return [...this.models.keys()].sort();
  }

  all(): ServedModel[] {
    return this.names().map((n) => this.models.get(n)!);
  }

  has(name: string): boolean {
    return this.models.has(name);
  }

  /** The model `name` serves; empty: the default one, or the only one. NOT_FOUND naming the served ones otherwise. */
  get(name: string): ServedModel {
    const wanted = name || (this.models.has(this.defaultModel) || this.models.size !== 1 ? this.defaultModel : this.names()[0]!);
    const m = this.models.get(wanted);
    if (m) return m;
    const served = this.names();
    const list = served.length > 10 ? `${served.slice(0, 10).join(', ')}, … (${served.length} in all)` : served.join(', ') || 'none yet';
    throw new ModelNotFoundError(`model "${wanted}" is not served here (serving: ${list})`, { model: wanted });
  }

  add(model: ServedModel): void {
    if (this.models.has(model.name)) throw new Error(`model "${model.name}" is served already`);
    this.models.set(model.name, model);
    this.emit('added', model);
  }

  /** Stops serving `name`; returns it (the caller closes it once its swaps are idle), or undefined. */
  remove(name: string): ServedModel | undefined {
    const m = this.models.get(name);
    if (!m) return undefined;
    this.models.delete(name);
    this.unloaded.delete(name);
    this.emit('removed', m);
    return m;
  }

  /**
   * Stops (`unloaded` true) or resumes answering calls for a served model, as
   * Triton's repository unload and load do. Its versions stay loaded and keep
   * following the registry, so a load is immediate. In memory, on this server only.
   */
  setUnloaded(name: string, unloaded: boolean): void {
    const m = this.get(name);
    if (unloaded) this.unloaded.add(m.name);
    else this.unloaded.delete(m.name);
  }

  isUnloaded(name: string): boolean {
    return this.unloaded.has(name);
  }

  /** Every served model has a version loaded (and at least one is served). */
  get allLoaded(): boolean {
    return this.models.size > 0 && [...this.models.values()].every((m) => m.holder.version !== null);
  }
}
