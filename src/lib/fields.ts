import { badRequest } from './errors';

// Field checks shared by every dialect that parses a JSON or form body: one wording for every 400.

/** The body as a JSON object, or a 400. */
export function jsonObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('INVALID_BODY', 'The body must be a JSON object.');
  return body as Record<string, unknown>;
}

/** A string field of a JSON body: 400 when required and missing, not a string, or longer than `max`. */
export function stringField(body: Record<string, unknown>, name: string, max: number, required: boolean): string | null {
  const v = body[name];
  if (v === undefined || v === null || v === '') {
    if (required) throw badRequest('MISSING_FIELD', `Field ${name} is required.`);
    return null;
  }
  if (typeof v !== 'string') throw badRequest('INVALID_FIELD', `Field ${name} must be a string.`);
  if (v.length > max) throw badRequest('INVALID_FIELD', `Field ${name} is longer than ${max} characters.`);
  return v;
}

/** A required field of a form body, trimmed: 400 when missing, blank or longer than `max`. */
export function formField(body: Record<string, unknown>, name: string, max: number): string {
  const v = body[name];
  if (typeof v !== 'string' || v.trim() === '') throw badRequest('MISSING_FIELD', `Form field ${name} is required.`);
  if (v.length > max) throw badRequest('INVALID_FIELD', `Form field ${name} is longer than ${max} characters.`);
  return v.trim();
}

/** A normalized MSISDN or a 400 that names the field and the value. */
export function msisdnField(raw: string, field: string, normalize: (raw: string) => string | null): string {
  const m = normalize(raw);
  if (!m) throw badRequest('INVALID_MSISDN', `${field} "${raw.slice(0, 32)}" is not a phone number (use +2547..., 2547... or 07...).`);
  return m;
}

/** Parses ISO-8601 with a date and time ("2026-11-20T06:00:00Z"); null when it is not one. */
export function parseIsoTime(v: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(v)) return null;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : null;
}
