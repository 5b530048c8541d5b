import { badRequest } from '../../src/lib/errors';

/** Parses ISO-8601 with a date and time ("2026-11-20T06:00:00Z"); null when it is not one. */
export function parseIsoTime(v: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(v)) return null;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : null;
}

/** A normalized MSISDN or a 400 that names the field and the value. */
export function msisdnField(raw: string, field: string, normalize: (raw: string) => string | null): string {
  const m = normalize(raw);
  if (!m) throw badRequest('INVALID_MSISDN', `${field} "${raw.slice(0, 32)}" is not a phone number (use +2547..., 2547... or 07...).`);
  return m;
}
