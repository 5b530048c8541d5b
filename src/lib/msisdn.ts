import examples from 'libphonenumber-js/examples.mobile.json';
import { getExampleNumber, parsePhoneNumberFromString, validatePhoneNumberLength, type PhoneNumber } from 'libphonenumber-js/min';
import { badRequest } from './errors';

/**
 * Subscriber numbers. What a number may look like (each country's lengths and number ranges) comes
 * from libphonenumber's metadata; the `min` bundle carries those and no more, which is all a gateway
 * needs (it never formats or types numbers). Parsing costs ~15 µs and sits on the USSD hot path, where
 * one subscriber sends several hops in a row, so answers are cached.
 */

/** What became of a raw number: its E.164 form, or why it is not one. */
type Checked = { e164: string } | { problem: string };

const CACHE_MAX = 20_000;
const cache = new Map<string, Checked>();

const regionNames = new Intl.DisplayNames(['en'], { type: 'region' });

/** "Kenya (+254); a mobile number there looks like +254712123456" for a parsed number, "+254" when the country is unknown. */
function where(p: PhoneNumber | undefined, callingCode: string): string {
  const code = p?.countryCallingCode ?? callingCode;
  const name = p?.country ? regionNames.of(p.country) : undefined;
  if (!name || !p?.country) return `+${code}`;
  const example = getExampleNumber(p.country, examples);
  return `${name} (+${code})${example ? `; a mobile number there looks like ${example.number}` : ''}`;
}

/** The digits of `raw` as an international number (`+...`), or as a national one with the default country. */
function check(raw: string, defaultCountryCode: string): Checked {
  const s = raw.trim().replace(/[\s\-().]/g, '');
  if (!/^(\+|00)?\d+$/.test(s)) return { problem: 'is not a phone number' };
  let text: string;
  let national = false;
  if (s.startsWith('+')) text = s;
  else if (s.startsWith('00')) text = '+' + s.slice(2);
  else if (s.startsWith('0') || (s.length <= 10 && !s.startsWith(defaultCountryCode))) {
    // National: 07..., or the subscriber number alone (712...), read with the default country's rules.
    text = s;
    national = true;
  } else text = '+' + s; // 2547... without the plus
  const opts = { defaultCallingCode: defaultCountryCode };
  const p = national ? parsePhoneNumberFromString(text, opts) : parsePhoneNumberFromString(text);
  if (p?.isValid()) return { e164: p.number };
  const length = validatePhoneNumberLength(text, national ? opts : undefined);
  const place = where(p, national ? defaultCountryCode : text.slice(1, 4));
  switch (length) {
    case 'INVALID_COUNTRY':
      return { problem: `has no known country calling code (${text.slice(0, 4)}...)` };
    case 'TOO_SHORT':
      return { problem: `is too short for a number in ${place}` };
    case 'TOO_LONG':
      return { problem: `is too long for a number in ${place}` };
    case 'INVALID_LENGTH':
      return { problem: `has a length no number in ${place} has` };
    case 'NOT_A_NUMBER':
      return { problem: 'is not a phone number' };
    default:
      return { problem: `is not a valid number in ${place}` };
  }
}

function cached(raw: string, defaultCountryCode: string): Checked {
  const key = `${defaultCountryCode}|${raw}`;
  let c = cache.get(key);
  if (c === undefined) {
    c = check(raw, defaultCountryCode);
    // Oldest first out: Map keeps insertion order.
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
    cache.set(key, c);
  }
  return c;
}

/**
 * Normalizes a subscriber number to E.164 (`+2547...`). Accepts `+2547...`, `2547...`, `07...` (national,
 * with the configured default country calling code) and `00...` international prefixes. Returns null
 * when the text is not a number that can exist (wrong length or range for its country).
 */
export function normalizeMsisdn(raw: string, defaultCountryCode: string): string | null {
  if (typeof raw !== 'string' || raw.length > 40) return null;
  const c = cached(raw, defaultCountryCode);
  return 'e164' in c ? c.e164 : null;
}

/** Why `raw` is not a phone number (e.g. "is too short for a number in Kenya (+254)"), or null when it is one. */
export function msisdnProblem(raw: string, defaultCountryCode: string): string | null {
  if (typeof raw !== 'string') return 'is not a phone number';
  if (raw.length > 40) return 'is too long to be a phone number';
  const c = cached(raw, defaultCountryCode);
  return 'problem' in c ? c.problem : null;
}

/** Like normalizeMsisdn but throws a 400 naming the field and what is wrong with the number. */
export function requireMsisdn(raw: unknown, defaultCountryCode: string, field = 'msisdn'): string {
  const n = typeof raw === 'string' ? normalizeMsisdn(raw, defaultCountryCode) : null;
  if (!n) {
    const problem = typeof raw === 'string' ? msisdnProblem(raw, defaultCountryCode) : 'is not a phone number';
    throw badRequest('INVALID_MSISDN', `${field} "${String(raw).slice(0, 32)}" ${problem ?? 'is not a phone number'} (use +2547..., 2547... or 07...).`);
  }
  return n;
}

/** Masks all but the country code prefix and last 3 digits, for logs: +2547******123. */
export function maskMsisdn(msisdn: string): string {
  if (msisdn.length <= 7) return '***';
  return msisdn.slice(0, 5) + '*'.repeat(Math.max(0, msisdn.length - 8)) + msisdn.slice(-3);
}
