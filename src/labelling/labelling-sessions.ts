import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ConfigError } from '../core/index.js';

export interface LabellingSessionsOptions {
  /** The login token (see {@link LabellingSessions.randomToken}). */
  token: string;
  /** The cookie's name. Cookies ignore ports: each labelling server of a host needs its own name. @defaultValue 'streamtune_label_session' */
  cookieName?: string;
  /** How long a session lasts after login. @defaultValue 12 h */
  ttlMs?: number;
  /** Sessions kept at most; the oldest is dropped first. @defaultValue 10000 */
  maxSessions?: number;
  /** Sent with the `Secure` attribute (the page is served over HTTPS). @defaultValue false */
  secure?: boolean;
  now?: () => number;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * Who may use the labelling page: whoever knows the login token gets a session,
 * a random id in an `HttpOnly; SameSite=Strict` cookie (scripts cannot read it,
 * other sites cannot send it). The token is compared in constant time over
 * SHA-256 digests, as the admin token is.
 *
 * @example
 * const sessions = new LabellingSessions({ token: process.env.STREAMTUNE_LABEL_TOKEN || LabellingSessions.randomToken() });
 * const cookie = sessions.login(candidate); // a Set-Cookie value, or undefined
 * sessions.valid(req.headers.cookie);
 */
export class LabellingSessions {
  private readonly sessions = new Map<string, number>();
  private readonly o: Required<LabellingSessionsOptions>;

  /** A login token for a run that was given none: 192 random bits. */
  static randomToken(): string {
    return randomBytes(24).toString('base64url');
  }

  constructor(opts: LabellingSessionsOptions) {
    // An empty token would let an empty login in.
    if (!opts.token) throw new ConfigError('labelling.token', 'the labelling page needs a login token');
    this.o = { cookieName: 'streamtune_label_session', ttlMs: 12 * 3600_000, maxSessions: 10_000, secure: false, now: Date.now, ...opts };
  }

  /** A new session's Set-Cookie value when `candidate` is the token, else undefined. */
  login(candidate: unknown): string | undefined {
    if (typeof candidate !== 'string' || !timingSafeEqual(digest(candidate), digest(this.o.token))) return undefined;
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(id, this.o.now() + this.o.ttlMs);
    for (const old of this.sessions.keys()) if (this.sessions.size > this.o.maxSessions) this.sessions.delete(old);
    return this.cookie(id, Math.floor(this.o.ttlMs / 1000));
  }

  /** Ends the session of this Cookie header; the Set-Cookie value that clears it. */
  logout(cookieHeader: string | undefined): string {
    const id = this.sessionId(cookieHeader);
    if (id) this.sessions.delete(id);
    return this.cookie('', 0);
  }

  /** True when the Cookie header carries a live session. */
  valid(cookieHeader: string | undefined): boolean {
    const id = this.sessionId(cookieHeader);
    const until = id === undefined ? undefined : this.sessions.get(id);
    if (until === undefined) return false;
    if (until > this.o.now()) return true;
    this.sessions.delete(id!);
    return false;
  }

  private cookie(id: string, maxAgeS: number): string {
    return `${this.o.cookieName}=${id}; Path=/; Max-Age=${maxAgeS}; HttpOnly; SameSite=Strict${this.o.secure ? '; Secure' : ''}`;
  }

  private sessionId(cookieHeader: string | undefined): string | undefined {
    for (const part of (cookieHeader ?? '').split(';')) {
      const [name, value] = part.trim().split('=', 2);
      if (name === this.o.cookieName && value) return value;
    }
    return undefined;
  }
}
