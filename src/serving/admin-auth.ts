import { timingSafeEqual } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { UnauthenticatedError } from '../core/index.js';

/**
 * Checks `authorization: Bearer <token>` call metadata against the configured admin
 * token (constant-time). An empty configured token means admin calls are open.
 */
export function requireBearer(metadata: grpc.Metadata, token: string): void {
  if (!token) return;
  const header = String(metadata.get('authorization')[0] ?? '');
  const m = /^Bearer\s+(.+)$/i.exec(header);
  if (!m) throw new UnauthenticatedError('admin calls need the metadata "authorization: Bearer <token>"');
  const given = Buffer.from(m[1]!.trim());
  const expected = Buffer.from(token);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new UnauthenticatedError('the admin token is wrong');
}
