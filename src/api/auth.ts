import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { unauthorized } from '../lib/errors';

/** Constant-time string comparison (secrets, tokens). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * An onRequest hook requiring `Authorization: Bearer <token>`; with no token configured, every call is 401.
 * A plain callback, not an async function: every API request passes here, and a promise per request costs.
 */
export function bearerAuth(token: string | null) {
  return (req: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    if (!token) return done(unauthorized('The API is disabled: set VASGW_API_TOKEN (config api.token) to use it.'));
    const h = req.headers.authorization;
    const m = typeof h === 'string' ? /^Bearer\s+(.+)$/i.exec(h) : null;
    done(!m || !safeEqual(m[1]!.trim(), token) ? unauthorized() : undefined);
  };
}
