import { ConfigError } from './streamtune-error.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'json' | 'text';
export type LogFields = Record<string, string | number | boolean | null | undefined>;
/** Where finished lines go (one line per call, no trailing newline). */
export type LogSink = (line: string) => void;

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LoggerOptions {
  /** Lines below this level are dropped. @defaultValue 'info' */
  level?: LogLevel;
  /** `json`: one JSON object per line (time, level, msg, fields); `text`: the message, then key=value. @defaultValue 'text' */
  format?: LogFormat;
  /** @defaultValue writes to stderr */
  sink?: LogSink;
  /** Fields on every line (e.g. `{ component: 'server' }`). */
  fields?: LogFields;
  /** Clock (a parameter so tests get stable times). @defaultValue () => new Date() */
  now?: () => Date;
}

/**
 * A small structured logger: one line per notable event, each with its fields
 * (model, version, …), as JSON for log pipelines or as text for a terminal.
 *
 * @example
 * const log = new Logger({ format: 'json' });
 * log.info('promoted', { event: 'promotion', model: 'digits', version: 'v7' });
 * // {"time":"…","level":"info","msg":"promoted","event":"promotion","model":"digits","version":"v7"}
 */
export class Logger {
  readonly level: LogLevel;
  readonly format: LogFormat;
  private readonly sink: LogSink;
  private readonly fields: LogFields;
  private readonly now: () => Date;

  constructor(opts: LoggerOptions = {}) {
    this.level = opts.level ?? 'info';
    this.format = opts.format ?? 'text';
    this.sink = opts.sink ?? ((line) => process.stderr.write(`${line}\n`));
    this.fields = opts.fields ?? {};
    this.now = opts.now ?? (() => new Date());
  }

  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger {
    return new Logger({ level: this.level, format: this.format, sink: this.sink, fields: { ...this.fields, ...fields }, now: this.now });
  }

  debug(msg: string, fields?: LogFields): void {
    this.write('debug', msg, fields);
  }

  info(msg: string, fields?: LogFields): void {
    this.write('info', msg, fields);
  }

  warn(msg: string, fields?: LogFields): void {
    this.write('warn', msg, fields);
  }

  error(msg: string, fields?: LogFields): void {
    this.write('error', msg, fields);
  }

  /** The plain `(line) => void` function older parts of the code take: lines at info level. */
  get fn(): (line: string) => void {
    return (line) => this.info(line);
  }

  private write(level: LogLevel, msg: string, fields: LogFields = {}): void {
    if (RANK[level] < RANK[this.level]) return;
    const all: LogFields = { ...this.fields, ...fields };
    for (const k of Object.keys(all)) if (all[k] === undefined) delete all[k];
    if (this.format === 'json') {
      this.sink(JSON.stringify({ time: this.now().toISOString(), level, msg, ...all }));
      return;
    }
    const kv = Object.entries(all).map(([k, v]) => `${k}=${typeof v === 'string' && /[\s"=]/.test(v) ? JSON.stringify(v) : String(v)}`);
    this.sink(kv.length ? `${msg} ${kv.join(' ')}` : msg);
  }
}

/**
 * The logger the environment asks for: `STREAMTUNE_LOG_LEVEL` (debug, info, warn,
 * error; default info) and `STREAMTUNE_LOG_FORMAT` (json, text; default json when
 * stderr is not a terminal, so containers and log shippers get structure).
 */
export function loggerFromEnv(env: NodeJS.ProcessEnv = process.env, opts: Omit<LoggerOptions, 'level' | 'format'> = {}): Logger {
  const level = env.STREAMTUNE_LOG_LEVEL || 'info';
  if (!(level in RANK)) throw new ConfigError('STREAMTUNE_LOG_LEVEL', `"${level}" is not one of ${Object.keys(RANK).join(', ')}`);
  const format = env.STREAMTUNE_LOG_FORMAT || (process.stderr.isTTY ? 'text' : 'json');
  if (format !== 'json' && format !== 'text') throw new ConfigError('STREAMTUNE_LOG_FORMAT', `"${format}" is not json or text`);
  return new Logger({ ...opts, level: level as LogLevel, format });
}

/**
 * Accepts a Logger or a plain line function (what tests pass: `() => undefined`
 * or one that collects lines) and returns a Logger; a function gets text lines.
 */
export function toLogger(log: Logger | LogSink | undefined, env: NodeJS.ProcessEnv = process.env): Logger {
  if (log instanceof Logger) return log;
  if (typeof log === 'function') return new Logger({ level: 'debug', format: 'text', sink: log });
  return loggerFromEnv(env);
}
