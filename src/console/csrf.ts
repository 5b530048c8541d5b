import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../lib/errors';

// Every state-changing console request carries the session's token: a hidden `_csrf` field in forms,
// or the `x-csrf-token` header htmx sends (the page's <body hx-headers>). SameSite=Strict cookies
// already stop most cross-site posts; the token also stops the rest (and same-site subdomains).

/** Whether `given` equals `expected` (constant time). */
export function tokensMatch(given: unknown, expected: string): boolean {
  if (typeof given !== 'string' || given.length === 0) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The token a request carries: the form field, or the header. */
export function tokenOf(req: FastifyRequest): unknown {
  const body = req.body as Record<string, unknown> | undefined;
  return (body && typeof body === 'object' ? body._csrf : undefined) ?? req.headers['x-csrf-token'];
}

/** The refusal of a form without the right token. */
export function csrfRefused(): AppError {
  return new AppError(403, 'CSRF_TOKEN_INVALID', 'This form has expired or did not come from this console. Reload the page and try again.');
}

/** Throws the refusal unless `given` is the session's token. */
export function assertCsrf(given: unknown, expected: string): void {
  if (!tokensMatch(given, expected)) throw csrfRefused();
}
