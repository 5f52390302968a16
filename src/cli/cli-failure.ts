import { status as grpcStatus } from '@grpc/grpc-js';
import { StreamtuneError } from '../core/index.js';

/** A command line the user got wrong (unknown flag, missing argument): exit 2 with a pointer to `--help`. */
export class UsageError extends StreamtuneError {
  constructor(message: string) {
    super('usage', message);
  }
}

/** Exit codes: 2 for a mistake the user can fix or a dependency that does not answer, 1 for a bug. */
export const EXIT_USER = 2;
export const EXIT_BUG = 1;

const SYSTEM_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'a part of the path is not a directory',
  EMFILE: 'too many open files',
};

/** A gRPC call that failed, as @grpc/grpc-js reports it. */
interface ServiceErrorLike {
  code: number;
  details: string;
}

const isServiceError = (err: unknown): err is ServiceErrorLike =>
  typeof (err as ServiceErrorLike)?.code === 'number' && typeof (err as ServiceErrorLike)?.details === 'string';

/** The cause of a connection failure in a few words (grpc-js details end in an empty "Resolution note:"). */
function connectionCause(details: string): string {
  if (/ECONNREFUSED/.test(details)) return 'connection refused';
  if (/ENOTFOUND|EAI_AGAIN/.test(details)) return 'unknown host';
  if (/ETIMEDOUT|EHOSTUNREACH|ENETUNREACH/.test(details)) return 'host unreachable';
  if (/Deadline/i.test(details)) return 'no answer in time';
  return details.replace(/\s*Resolution note:\s*$/, '').replace(/^No connection established\. Last error: (Error: )?/, '');
}

/**
 * Turns a failed gRPC call to a streamtune server at `address` into a one-line
 * streamtune error that says what to do; a status the server chose (NOT_FOUND,
 * INVALID_ARGUMENT, …) keeps its message.
 */
export function serverCallError(err: unknown, address: string): unknown {
  if (!isServiceError(err)) return err;
  const name = grpcStatus[err.code] ?? String(err.code);
  if (err.code === grpcStatus.UNAVAILABLE || err.code === grpcStatus.DEADLINE_EXCEEDED) {
    return new StreamtuneError('server_unavailable', `no streamtune server answers at ${address} (${connectionCause(err.details)}): start one with \`streamtune serve\`, or give its address with --address HOST:PORT`, {
      retriable: true,
      context: { address },
      cause: err,
    });
  }
  if (err.code === grpcStatus.UNAUTHENTICATED) {
    return new StreamtuneError('unauthenticated', `${address} refused the call (${err.details}): set STREAMTUNE_ADMIN_TOKEN to the server's admin token`, { context: { address }, cause: err });
  }
  return new StreamtuneError(name.toLowerCase(), `${address} answered ${name}: ${err.details}`, { context: { address }, cause: err });
}

/**
 * What the CLI prints for an error and the exit code: one line and 2 for anything
 * the user can act on (streamtune errors, a file that cannot be read, a server or
 * broker that does not answer; gRPC failures go through {@link serverCallError}
 * first); the stack and 1 for anything else (a bug).
 */
export function describeFailure(err: unknown, command: string | undefined): { line: string; exitCode: number } {
  const prefix = command ? `streamtune ${command}` : 'streamtune';
  const help = command ? ` (see \`streamtune ${command} --help\`)` : '';
  if (err instanceof StreamtuneError) {
    const hint = err.code === 'usage' || err.code === 'config_invalid' ? help : '';
    return { line: `${prefix}: ${err.message.split('\n')[0]}${hint}`, exitCode: EXIT_USER };
  }
  const sys = err as NodeJS.ErrnoException;
  if (typeof sys?.code === 'string' && SYSTEM_ERRORS[sys.code] && sys.path) {
    return { line: `${prefix}: cannot read ${sys.path}: ${SYSTEM_ERRORS[sys.code]}`, exitCode: EXIT_USER };
  }
  return { line: `${prefix}: ${(err as Error)?.stack ?? String(err)}`, exitCode: EXIT_BUG };
}

/** The nearest of `candidates` to `word` by edit distance, if it is close (a likely typo). */
export function closest(word: string, candidates: string[]): string | undefined {
  let best: { c: string; d: number } | undefined;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (!best || d < best.d) best = { c, d };
  }
  return best && best.d <= Math.max(1, Math.floor(word.length / 3)) ? best.c : undefined;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours cost 1. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}
