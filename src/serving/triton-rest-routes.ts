import type * as http from 'node:http';
import { InvalidInputError } from '../core/index.js';
import { requireBearerHeader, type AdminAuth } from './admin-auth.js';
import type { TritonExtensions } from './triton-extensions.js';

/** What a REST route answers. */
export interface RestAnswer {
  status: number;
  body: Buffer;
  headers: Record<string, string>;
}

/** A route's handler (`method`: its metric label, the gRPC method's name), or `{ allow }` for a known path asked with another method. */
export type RestRoute = { method: string; run: (req: http.IncomingMessage) => Promise<RestAnswer> } | { allow: string };

const json = (value: unknown): RestAnswer => ({ status: 200, body: Buffer.from(JSON.stringify(value)), headers: { 'content-type': 'application/json' } });

/** Triton's REST JSON names fields as its protos do: `maxBatchSize` → `max_batch_size`. */
export function snakeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), snakeKeys(v)]));
}

/** A JSON object body (empty: `{}`), INVALID_ARGUMENT otherwise. */
function jsonBody(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new InvalidInputError('bad_request', 'body', `body: not JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new InvalidInputError('bad_request', 'body', 'body: must be a JSON object');
  return parsed as Record<string, unknown>;
}

const STATS_OR_CONFIG = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?\/(stats|config)\/?$/;
const REPOSITORY_MODEL = /^\/v2\/repository\/models\/([^/]+)\/(load|unload)\/?$/;

/**
 * The REST routes of Triton's extensions, as Triton documents them:
 * `GET /v2/models[/{m}[/versions/{v}]]/stats`, `GET /v2/models/{m}[/versions/{v}]/config`,
 * `POST /v2/repository/index` (`{"ready": true}`: only the ready models) and
 * `POST /v2/repository/models/{m}/load|unload` (with `Authorization: Bearer <admin token>`).
 * Undefined for any other path.
 */
export function tritonRestRoute(ext: TritonExtensions, auth: AdminAuth, method: string, pathname: string, read: (req: http.IncomingMessage) => Promise<Buffer>): RestRoute | undefined {
  const get = (name: string, fn: () => unknown): RestRoute => (method === 'GET' || method === 'HEAD' ? { method: name, run: async () => json(fn()) } : { allow: 'GET, HEAD' });
  if (pathname === '/v2/models/stats' || pathname === '/v2/models/stats/') return get('ModelStatistics', () => snakeKeys({ modelStats: ext.statistics('', '') }));
  const m = STATS_OR_CONFIG.exec(pathname);
  if (m) {
    const [name, version] = [decodeURIComponent(m[1]!), m[2] ? decodeURIComponent(m[2]) : ''];
    // Triton's REST answers the configuration itself (gRPC wraps it in `config`).
    if (m[3] === 'config') return get('ModelConfig', () => snakeKeys(ext.config(name, version)));
    return get('ModelStatistics', () => snakeKeys({ modelStats: ext.statistics(name, version) }));
  }
  if (pathname === '/v2/repository/index') {
    if (method !== 'POST') return { allow: 'POST' };
    return {
      method: 'RepositoryIndex',
      run: async (req) => {
        const { ready } = jsonBody(await read(req));
        if (ready !== undefined && typeof ready !== 'boolean') throw new InvalidInputError('bad_request', 'ready', `ready: must be true or false, got ${JSON.stringify(ready)}`);
        return json(ext.repositoryIndex(ready === true));
      },
    };
  }
  const r = REPOSITORY_MODEL.exec(pathname);
  if (!r) return undefined;
  if (method !== 'POST') return { allow: 'POST' };
  const name = decodeURIComponent(r[1]!);
  const load = r[2] === 'load';
  return {
    method: load ? 'RepositoryModelLoad' : 'RepositoryModelUnload',
    run: async (req) => {
      requireBearerHeader(req.headers.authorization, auth);
      const { parameters } = jsonBody(await read(req));
      const params = typeof parameters === 'object' && parameters !== null ? (parameters as Record<string, unknown>) : {};
      if (load) ext.load(name, params, 'model name');
      else ext.unload(name, 'model name');
      return { status: 200, body: Buffer.alloc(0), headers: {} };
    },
  };
}
