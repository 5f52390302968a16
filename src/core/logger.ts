import { pino, type Logger as PinoLogger } from 'pino';
import { ConfigError } from './streamtune-error.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'json' | 'text';
export type LogFields = Record<string, string | number | boolean | null | undefined>;
/** Where finished lines go (one line per call, no trailing newline). */
export type LogSink = (line: string) => void;

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

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

/** `msg k=v k2="with space"`: what a terminal and the tests that collect lines read. */
function textLine(json: string): string {
  const { level: _level, time: _time, msg, ...fields } = JSON.parse(json) as Record<string, unknown>;
  const kv = Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'string' && /[\s"=]/.test(v) ? JSON.stringify(v) : String(v)}`);
  return kv.length ? `${String(msg)} ${kv.join(' ')}` : String(msg);
}

/**
 * A structured logger on pino: one line per notable event, each with its
 * fields (model, version, …), as JSON for log pipelines or as text for a
 * terminal. pino does the level filtering, child bindings and serialization;
 * its JSON is shaped as streamtune's lines have always been (`level` a name,
 * `time` ISO 8601, no pid or hostname), and `text` is drawn from that JSON.
 *
 * @example
 * const log = new Logger({ format: 'json' });
 * log.info('promoted', { event: 'promotion', model: 'digits', version: 'v7' });
 * // {"level":"info","time":"…","event":"promotion","model":"digits","version":"v7","msg":"promoted"}
 */
export class Logger {
  readonly level: LogLevel;
  readonly format: LogFormat;
  private readonly pino: PinoLogger;

  constructor(opts: LoggerOptions = {}, parent?: PinoLogger) {
    this.level = opts.level ?? 'info';
    this.format = opts.format ?? 'text';
    if (parent) {
      this.pino = parent.child(opts.fields ?? {});
      return;
    }
    const sink = opts.sink ?? ((line: string) => process.stderr.write(`${line}\n`));
    const now = opts.now ?? (() => new Date());
    const format = this.format;
    this.pino = pino(
      {
        level: this.level,
        base: opts.fields ?? null,
        formatters: { level: (label) => ({ level: label }) },
        timestamp: () => `,"time":"${now().toISOString()}"`,
      },
      // Synchronous, one call per line: lines interleave with the rest of stderr (progress bars) in order.
      { write: (line: string) => sink(format === 'json' ? line.replace(/\n$/, '') : textLine(line)) },
    );
  }

  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger {
    return new Logger({ level: this.level, format: this.format, fields }, this.pino);
  }

  debug(msg: string, fields?: LogFields): void {
    this.pino.debug(fields ?? {}, msg);
  }

  info(msg: string, fields?: LogFields): void {
    this.pino.info(fields ?? {}, msg);
  }

  warn(msg: string, fields?: LogFields): void {
    this.pino.warn(fields ?? {}, msg);
  }

  error(msg: string, fields?: LogFields): void {
    this.pino.error(fields ?? {}, msg);
  }

  /** The plain `(line) => void` function older parts of the code take: lines at info level. */
  get fn(): (line: string) => void {
    return (line) => this.info(line);
  }
}

/**
 * The logger the environment asks for: `STREAMTUNE_LOG_LEVEL` (debug, info, warn,
 * error; default info) and `STREAMTUNE_LOG_FORMAT` (json, text; default json when
 * stderr is not a terminal, so containers and log shippers get structure).
 */
export function loggerFromEnv(env: NodeJS.ProcessEnv = process.env, opts: Omit<LoggerOptions, 'level' | 'format'> = {}): Logger {
  const level = env.STREAMTUNE_LOG_LEVEL || 'info';
  if (!LEVELS.includes(level as LogLevel)) throw new ConfigError('STREAMTUNE_LOG_LEVEL', `"${level}" is not one of ${LEVELS.join(', ')}`);
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
