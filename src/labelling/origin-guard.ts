import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/**
 * Which requests come from the labelling page itself. A `Host` must be an IP
 * address or `localhost` with the server's port, or the host of a configured
 * origin: a name that resolves here by DNS rebinding is refused. A browser's
 * POST must come from the page's own origin (its `Origin` header), and its API
 * calls may not come from another site (`Sec-Fetch-Site`). Clients that are not
 * browsers send neither header; they still need a session.
 *
 * @example
 * const guard = new OriginGuard({ port: 8080, tls: false, origins: ['https://label.example.com'] });
 * const why = guard.refusal(req); // undefined, or why the request is refused (403)
 */
export class OriginGuard {
  private readonly origins: Set<string>;
  private readonly hosts: Set<string>;

  constructor(private readonly opts: { port: number; tls: boolean; origins?: readonly string[] }) {
    const urls = (opts.origins ?? []).map((o) => new URL(o));
    this.origins = new Set(urls.map((u) => u.origin));
    this.hosts = new Set(urls.map((u) => u.host));
  }

  /** Why the request is refused, or undefined when it may go on. */
  refusal(req: IncomingMessage): string | undefined {
    const host = req.headers.host ?? '';
    if (!this.hostAllowed(host)) return `Host "${host}" is not this labelling page (list the page's public origin in labelling.origins)`;
    const origin = req.headers.origin;
    if (req.method !== 'GET' && req.method !== 'HEAD' && origin !== undefined && origin !== `${this.scheme}://${host}` && !this.origins.has(origin)) {
      return `cross-site request refused: Origin ${origin} is not this page`;
    }
    // Resource isolation: another site may link to the page, but not call its API or embed its pictures.
    const site = req.headers['sec-fetch-site'];
    if ((site === 'cross-site' || site === 'same-site') && (req.url ?? '/').startsWith('/api/')) return `cross-site request refused (Sec-Fetch-Site: ${site})`;
    return undefined;
  }

  private get scheme(): string {
    return this.opts.tls ? 'https' : 'http';
  }

  private hostAllowed(host: string): boolean {
    if (this.hosts.has(host)) return true;
    let url: URL;
    try {
      url = new URL(`${this.scheme}://${host}`);
    } catch {
      return false;
    }
    const name = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = url.port === '' ? (this.opts.tls ? 443 : 80) : Number(url.port);
    const bare = url.pathname === '/' && !url.username && !url.password && !url.search && !url.hash;
    return bare && (name === 'localhost' || isIP(name) !== 0) && port === this.opts.port;
  }
}
