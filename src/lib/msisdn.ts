import { badRequest } from './errors';

/**
 * Normalizes a subscriber number to E.164 (`+2547...`). Accepts `+2547...`, `2547...`, `07...` (national,
 * with the configured default country calling code) and `00...` international prefixes. Returns null
 * when the text cannot be a phone number.
 */
export function normalizeMsisdn(raw: string, defaultCountryCode: string): string | null {
  if (typeof raw !== 'string') return null;
  let s = raw.trim().replace(/[\s\-().]/g, '');
  if (s.startsWith('+')) s = s.slice(1);
  else if (s.startsWith('00')) s = s.slice(2);
  else if (s.startsWith('0')) s = defaultCountryCode + s.slice(1);
  else if (s.length <= 10 && !s.startsWith(defaultCountryCode)) s = defaultCountryCode + s;
  if (!/^[1-9]\d{7,14}$/.test(s)) return null;
  return '+' + s;
}

/** Like normalizeMsisdn but throws a 400 naming the field. */
export function requireMsisdn(raw: unknown, defaultCountryCode: string, field = 'msisdn'): string {
  const n = typeof raw === 'string' ? normalizeMsisdn(raw, defaultCountryCode) : null;
  if (!n) throw badRequest('INVALID_MSISDN', `${field} "${String(raw).slice(0, 32)}" is not a phone number (use +2547..., 2547... or 07...).`);
  return n;
}

/** Masks all but the country code prefix and last 3 digits, for logs: +2547******123. */
export function maskMsisdn(msisdn: string): string {
  if (msisdn.length <= 7) return '***';
  return msisdn.slice(0, 5) + '*'.repeat(Math.max(0, msisdn.length - 8)) + msisdn.slice(-3);
}
