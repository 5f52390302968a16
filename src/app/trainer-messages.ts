import type { VersionMeta } from '../registry/index.js';
import type { TrainerStats } from '../training/trainer-stats.js';

/** Messages from the trainer process to the server that started it. */
export type TrainerMessage =
  | { type: 'ready'; backend: string; version: string; skipped: { backend: string; reason: string }[] }
  | { type: 'stats'; stats: TrainerStats }
  | { type: 'version'; meta: VersionMeta; eventTimestamps: number[] }
  | { type: 'rollback'; from: string; to: string; reason: string; model?: string }
  /** A line for the server's log; `warn` for what an operator should see (kafkajs errors, failed announcements). */
  | { type: 'log'; line: string; level?: 'info' | 'warn' }
  | { type: 'error'; message: string }
  | { type: 'stopped' };

/** Messages from the server to its trainer process. */
export type ServerMessage = { type: 'stop' };
