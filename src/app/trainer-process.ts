import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Config } from '../core/index.js';
import { StreamtuneError } from '../core/index.js';
import type { TrainerMessage } from './trainer-messages.js';

/** Locates the trainer entry beside this file; under tsx (tests) it is the .ts source. */
function entry(): { file: string; execArgv: string[] } {
  const self = fileURLToPath(import.meta.url);
  if (self.endsWith('.ts')) return { file: self.replace(/trainer-process\.ts$/, 'trainer-main.ts'), execArgv: ['--import', 'tsx'] };
  return { file: self.replace(/trainer-process\.js$/, 'trainer-main.js'), execArgv: [] };
}

/**
 * The trainer as a child process of the server, so training never blocks the
 * event loop that answers Predict. Emits `stats`, `version`, `log` and `exit`.
 */
export class TrainerProcess extends EventEmitter {
  private child: ChildProcess | undefined;
  private stopping: Promise<void> | undefined;
  backend = '';

  /** OS process id of the trainer (undefined before `start`). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  constructor(private readonly config: Config) {
    super();
  }

  /** Forks the trainer and resolves once it consumes (or rejects with its error). */
  start(timeoutMs = 120_000): Promise<void> {
    const { file, execArgv } = entry();
    const child = fork(file, [], {
      execArgv,
      env: { ...process.env, STREAMTUNE_TRAINER_CONFIG: JSON.stringify(this.config) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child = child;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new StreamtuneError('trainer_timeout', `trainer did not start within ${timeoutMs} ms`)), timeoutMs);
      child.on('message', (m: TrainerMessage) => {
        if (m.type === 'ready') {
          clearTimeout(timer);
          this.backend = m.backend;
          this.emit('ready', m);
          resolve();
        } else if (m.type === 'error') {
          clearTimeout(timer);
          this.emit('error-message', m.message);
          reject(new StreamtuneError('trainer_failed', `trainer failed: ${m.message}`));
        } else {
          this.emit(m.type, m);
        }
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        this.emit('exit', code, signal);
        reject(new StreamtuneError('trainer_exited', `trainer exited (code ${code}, signal ${signal}) before it was ready`));
      });
    });
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
