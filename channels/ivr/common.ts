import type { FastifyRequest } from 'fastify';
import type { Core } from '../../src/core';
import { publicBaseUrl } from '../../src/config/ivr';
import { AppError } from '../../src/lib/errors';

/**
 * The URL a voice platform calls back on for `path`, carrying the callback secret as `?secret=` when one
 * is configured (voice platforms cannot add our header to the requests they make from our XML).
 */
export function callbackUrl(core: Core, path: string, query: Record<string, string> = {}): string {
  const q = new URLSearchParams(query);
  if (core.config.callbacks.secret) q.set('secret', core.config.callbacks.secret);
  const qs = q.toString();
  return `${publicBaseUrl(core.config)}${path}${qs ? `?${qs}` : ''}`;
}

/** The form or query fields of a voice callback (POST form, GET query, or both). */
export function callbackFields(req: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  const add = (src: unknown) => {
    if (typeof src !== 'object' || src === null || Array.isArray(src)) return;
    for (const [k, v] of Object.entries(src as Record<string, unknown>)) {
      if (typeof v === 'string') out[k] = v;
      else if (typeof v === 'number') out[k] = String(v);
    }
  };
  add(req.query);
  add(req.body);
  return out;
}

/** Rejects bodies of a type the dialect does not read (415). */
export function requireContentType(req: FastifyRequest, allowed: string[], path: string): void {
  if (req.method === 'GET' || req.body === undefined) return;
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (!allowed.includes(type)) {
    throw new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', `${path} takes ${allowed.join(' or ')}, not "${type || 'no content type'}".`);
  }
}

/** A number from a callback field; null when absent or not a number. */
export function numberField(v: string | undefined): number | null {
  if (v === undefined || v.trim() === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}
