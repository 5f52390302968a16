import type { Json, ModelDescription } from '../learners/index.js';
import { InvalidInputError } from '../core/index.js';

/** Everything recorded about a saved version besides its weights. */
export interface VersionMeta {
  model: string;
  version: string;
  parent: string | null;
  regime: string;
  className: string;
  config: { [k: string]: Json };
  description: ModelDescription;
  createdAt: string;
  backend: string;
  /** Examples learned in this version's whole history. */
  examplesSeen: number;
  metrics: Record<string, number>;
  /** Next Kafka offset to read per `topic/partition`: every event before it is in these weights. */
  offsets: Record<string, string>;
  /** The promotion guardrail's decision (absent: promoted without a check, e.g. a base model). */
  promotion?: PromotionDecision;
  /** W3C `traceparent` of the span that published this version (tracing on, a traced label in it): serving's swap span is its child. */
  traceparent?: string;
}

/** Why a candidate was or was not promoted to serving. */
export interface PromotionDecision {
  promoted: boolean;
  /** `holdout` (a trusted labelled set) or `prequential` (candidate vs serving version on the same recent events). */
  mode: 'holdout' | 'prequential' | 'none';
  /** Accuracy of the candidate and of the serving version it was compared with (NaN-free; -1 when not measured). */
  candidate: number;
  serving: number;
  servingVersion: string | null;
  /** Labelled events (or holdout examples) the comparison used. */
  events: number;
  reason: string;
}

export type NewVersion = Omit<VersionMeta, 'version' | 'createdAt' | 'className' | 'config' | 'description' | 'model'>;

/** Version names: `v` and a number, as the store numbers them. */
const VERSION_NAME = /^v\d{1,15}$/;

export const isVersionName = (version: string): boolean => VERSION_NAME.test(version);

/** Throws an InvalidInputError naming `version` unless it is a version name (`v<N>`). */
export function checkVersionName(version: string): void {
  if (!isVersionName(version)) {
    throw new InvalidInputError('bad_version', 'version', `version "${version.slice(0, 100)}" is not a version name (v1, v2, …): versions are named by the registry, never by path`);
  }
}

/**
 * Operator decisions about a model's versions, kept in `<root>/<model>/state.json`
 * so every replica and every restart honours them: the pinned version (served
 * whatever the trainer makes) and the rejected ones (rolled back; never promoted
 * automatically again).
 */
export interface VersionState {
  pinned: string | null;
  rejected: string[];
}
