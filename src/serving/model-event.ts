import type { VersionMeta, VersionState } from '../registry/index.js';

/** What happened to a model's serving version (streamed by `WatchModel`). */
export interface ModelEvent {
  type: 'current' | 'promotion' | 'candidate' | 'rejected' | 'pin' | 'unpin' | 'rollback' | 'swap_failed';
  model: string;
  version: string;
  previous: string;
  time: string;
  reason: string;
}

/**
 * A pin, unpin or rollback made on this server, once its state is saved: what
 * `VersionControl.share` sends to the other replicas.
 */
export interface OperatorChange {
  type: 'pin' | 'unpin' | 'rollback';
  model: string;
  /** The version this server serves since. */
  version: string;
  reason: string;
  /** The operator state as saved. */
  state: VersionState;
}

/** Outcome of an admin call. */
export interface AdminResult {
  version: string;
  previous: string;
  pinned: string;
}

/** What a `VersionControl` emits. */
export interface VersionControlEvents {
  /** Every change (promotion, candidate, rejection, pin, unpin, rollback, failed swap): what `WatchModel` streams. */
  'model-event': (event: ModelEvent) => void;
  /** The serving version changed. */
  swapped: (meta: VersionMeta) => void;
  /** A version could not be loaded or warmed; the current one keeps serving. */
  'swap-failed': (err: unknown) => void;
}
