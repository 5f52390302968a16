import type { VersionMeta } from '../registry/index.js';
import type { TrainerStats } from '../training/trainer-stats.js';
import type { TrainerSecrets } from './trainer-secrets.js';

/** Messages from the trainer process to the server that started it. */
export type TrainerMessage =
  /** `version`: newest of the configured model ('' when it has none); `models`: the models with a version when the trainer started (each is loaded on its first event). */
  | { type: 'ready'; backend: string; version: string; skipped: { backend: string; reason: string }[]; models?: string[] }
  /** `stats.model` names the model of the step (records no model took on count for the configured model). */
  | { type: 'stats'; stats: TrainerStats }
  /**
   * A checkpoint of `meta.model` was saved: when its sampled events were produced, ms from each to
   * its step (small numbers: the message is JSON), and when its save began and ended (ms since the epoch).
   */
  | { type: 'version'; meta: VersionMeta; eventTimestamps: number[]; stepLagMs?: number[]; saveStartedAt?: number; savedAt?: number }
  /** The guardrail of `model` asks serving to go back from `from` to `to`. */
  | { type: 'rollback'; model: string; from: string; to: string; reason: string }
  /** A line for the server's log; `warn` for what an operator should see (kafkajs errors, failed announcements). */
  | { type: 'log'; line: string; level?: 'info' | 'warn' }
  /** `code` and `retriable` of a streamtune error (a bad setting: not retriable); none for any other error. */
  | { type: 'error'; message: string; code?: string; retriable?: boolean }
  | { type: 'stopped' }
  /** Asks for the secrets its environment left out (see trainerLaunch), before it loads its config. */
  | { type: 'secrets' };

/** Messages from the server to its trainer process. */
export type ServerMessage = { type: 'stop' } | { type: 'secrets'; secrets: TrainerSecrets };
