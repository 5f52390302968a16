import { createHash, timingSafeEqual } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { PermissionDeniedError, UnauthenticatedError } from '../core/index.js';

/** Who may call the ModelAdmin RPCs (the `serving` config keys of the same names). */
export interface AdminAuth {
  /** The bearer token calls must carry; empty: none configured. */
  adminToken: string;
  /** With no token configured, accept calls without one (an explicit operator choice). */
  allowUnauthenticatedAdmin: boolean;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * Checks `authorization: Bearer <token>` call metadata against the configured admin
 * token. Secure by default: with no token configured, admin calls are refused unless
 * the operator opened them. The comparison is constant-time over SHA-256 digests, so
 * neither the token's bytes nor its length leak through timing.
 */
export function requireBearer(metadata: grpc.Metadata, auth: AdminAuth): void {
  requireBearerHeader(String(metadata.get('authorization')[0] ?? ''), auth);
}

/** {@link requireBearer} for an HTTP `Authorization` header (the REST admin routes). */
export function requireBearerHeader(header: string | undefined, auth: AdminAuth): void {
  if (!auth.adminToken) {
    if (auth.allowUnauthenticatedAdmin) return;
    throw new PermissionDeniedError(
      'admin RPCs are disabled: no admin token is configured (set serving.adminToken / STREAMTUNE_ADMIN_TOKEN, or serving.allowUnauthenticatedAdmin=true to accept them without one)',
    );
  }
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!m) throw new UnauthenticatedError('admin calls need the metadata "authorization: Bearer <token>"');
  if (!timingSafeEqual(digest(m[1]!.trim()), digest(auth.adminToken))) throw new UnauthenticatedError('the admin token is wrong');
}
