import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Config } from '../core/index.js';
import { StreamtuneError, TypedEmitter } from '../core/index.js';
import type { TrainerMessage } from './trainer-messages.js';
import { trainerLaunch } from './trainer-secrets.js';

type Message<T extends TrainerMessage['type']> = Extract<TrainerMessage, { type: T }>;

/** What a {@link TrainerProcess} emits: the trainer's messages, by type, and its exit. */
export interface TrainerProcessEvents {
  /** The trainer consumes (once per start). */
  ready: (m: Message<'ready'>) => void;
  /** A training step's counters. */
  stats: (m: Message<'stats'>) => void;
  /** A version was saved (promoted or not: see `m.meta.promotion`). */
  version: (m: Message<'version'>) => void;
  /** The trainer's guardrail asks to roll the serving version back. */
  rollback: (m: Message<'rollback'>) => void;
  log: (m: Message<'log'>) => void;
  /** The trainer saved and committed after `stop()`. */
  stopped: (m: Message<'stopped'>) => void;
  /** The trainer failed, at start or later, before it exits (not `error`, which would throw without a listener). */
  'error-message': (message: string) => void;
  exit: (code: number | null, signal: NodeJS.Signals | null) => void;
}

/** Locates the trainer entry beside this file; under tsx (tests) it is the .ts source. */
function entry(): { file: string; execArgv: string[] } {
  const self = fileURLToPath(import.meta.url);
  if (self.endsWith('.ts')) return { file: self.replace(/trainer-process\.ts$/, 'trainer-main.ts'), execArgv: ['--import', 'tsx'] };
  return { file: self.replace(/trainer-process\.js$/, 'trainer-main.js'), execArgv: [] };
}

/**
 * Node flags of the trainer from its config: a capped old generation
 * (`training.maxHeapMb`) makes V8 collect before garbage fills the heap, so the
 * trainer's RSS stays flat instead of growing to node's machine-sized default.
 */
export function trainerNodeFlags(training: Pick<Config['training'], 'maxHeapMb'>): string[] {
  return training.maxHeapMb > 0 ? [`--max-old-space-size=${training.maxHeapMb}`] : [];
}

/**
 * The trainer as a child process of the server, so training never blocks the
 * event loop that answers Predict. Its events: {@link TrainerProcessEvents}.
 */
export class TrainerProcess extends TypedEmitter<TrainerProcessEvents> {
  private child: ChildProcess | undefined;
  private stopping: Promise<void> | undefined;
  backend = '';
  /** Models with a version when the trainer started (from its `ready` message). */
  models: string[] = [];
  /** True once the trainer consumes (its `ready` message arrived). */
  ready = false;

  /** OS process id of the trainer (undefined before `start`). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  constructor(private readonly config: Config) {
    super();
  }

  /**
   * Forks the trainer and resolves once it consumes, or rejects with its error:
   * the trainer's own `code` and `retriable` flag when it failed on a streamtune
   * error (a bad setting is not retriable), else retriable.
   */
  start(timeoutMs = 120_000): Promise<void> {
    const { file, execArgv } = entry();
    // No secret in the child's environment: an inline password goes over IPC when the trainer asks.
    const { env, secrets } = trainerLaunch(this.config, process.env);
    const child = fork(file, [], {
      execArgv: [...execArgv, ...trainerNodeFlags(this.config.training)],
      env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child = child;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new StreamtuneError('trainer_timeout', `trainer did not start within ${timeoutMs} ms`, { retriable: true })), timeoutMs);
      // One case per message type, so each emit is checked against TrainerProcessEvents.
      child.on('message', (m: TrainerMessage) => {
        switch (m.type) {
          case 'ready':
            clearTimeout(timer);
            this.backend = m.backend;
            this.models = m.models ?? [];
            this.ready = true;
            this.emit('ready', m);
            resolve();
            break;
          case 'error':
            clearTimeout(timer);
            this.emit('error-message', m.message);
            // The trainer's own error code and flag: a bad setting is not retriable, a broker error is.
            reject(new StreamtuneError(m.code ?? 'trainer_failed', `trainer failed: ${m.message}`, { retriable: m.retriable ?? true }));
            break;
          case 'stats':
            this.emit('stats', m);
            break;
          case 'version':
            this.emit('version', m);
            break;
          case 'rollback':
            this.emit('rollback', m);
            break;
          case 'log':
            this.emit('log', m);
            break;
          case 'stopped':
            this.emit('stopped', m);
            break;
          case 'secrets':
            if (child.connected) child.send({ type: 'secrets', secrets });
            break;
        }
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        this.emit('exit', code, signal);
        reject(new StreamtuneError('trainer_exited', `trainer exited (code ${code}, signal ${signal}) before it was ready`, { retriable: true }));
      });
    });
  }

  /** Ends the process at once (SIGKILL): for a trainer that failed to start and has nothing to save. */
  kill(): void {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  /** Asks the trainer to save and commit, then waits for it to exit (kills it after `timeoutMs`). Idempotent. */
  stop(timeoutMs = 30_000): Promise<void> {
    this.stopping ??= new Promise<void>((resolve) => {
      const child = this.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      if (child.connected) child.send({ type: 'stop' });
      else child.kill('SIGTERM');
    });
    return this.stopping;
  }
}
