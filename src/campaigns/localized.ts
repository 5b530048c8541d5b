import { badRequest } from '../lib/errors';

const LANG_RE = /^[a-z]{2,3}$/;

/**
 * Checks a per-language text object ({ "en": "...", "sw": "..." }): language codes of 2-3 lower-case
 * letters and non-empty texts. The HTTP schema cannot say this alone (its record keys are open).
 */
export function assertLocalized(texts: Record<string, string>, field: string): void {
  const keys = Object.keys(texts);
  if (keys.length === 0) throw badRequest('INVALID_TEXT', `${field} needs a text in at least one language, e.g. { "en": "...", "sw": "..." }.`);
  for (const k of keys) {
    if (!LANG_RE.test(k)) throw badRequest('INVALID_TEXT', `${field}: "${k.slice(0, 20)}" is not a language code (2-3 lower-case letters such as en or sw).`);
    if (typeof texts[k] !== 'string' || texts[k]!.trim() === '') throw badRequest('INVALID_TEXT', `${field}.${k} is empty.`);
  }
}
