import type { Lang } from './i18n';
import { LOCALES } from './i18n';

// Numbers and times as the reader's language writes them. Missing values show as an en dash.

const DASH = '–';
const numberFormats = new Map<string, Intl.NumberFormat>();
function numberFormat(lang: Lang, digits: number, style: 'decimal' | 'percent' = 'decimal'): Intl.NumberFormat {
  const key = `${lang}:${digits}:${style}`;
  let f = numberFormats.get(key);
  if (!f) {
    f = new Intl.NumberFormat(LOCALES[lang], { style, maximumFractionDigits: digits, minimumFractionDigits: style === 'percent' ? digits : 0 });
    numberFormats.set(key, f);
  }
  return f;
}

/** A count or amount, e.g. 12,345 or 3.5. */
export function num(lang: Lang, n: number | null | undefined, digits = 0): string {
  return n === null || n === undefined || !Number.isFinite(n) ? DASH : numberFormat(lang, digits).format(n);
}

/** A share (0.123 -> 12.3%). */
export function pct(lang: Lang, share: number | null | undefined, digits = 1): string {
  return share === null || share === undefined || !Number.isFinite(share) ? DASH : numberFormat(lang, digits, 'percent').format(share);
}

/** A 95% interval of shares, e.g. 4.1% to 9.8%. */
export function interval(lang: Lang, low: number | null | undefined, high: number | null | undefined, digits = 1): string {
  if (low === null || low === undefined || high === null || high === undefined) return DASH;
  return `${pct(lang, low, digits)} – ${pct(lang, high, digits)}`;
}

/** A date and time in the service's time zone, e.g. 5 Dec 2026, 09:00. */
export function when(lang: Lang, at: number | string | null | undefined, timeZone: string): string {
  if (at === null || at === undefined) return DASH;
  const d = typeof at === 'number' ? new Date(at) : new Date(at);
  if (Number.isNaN(d.getTime())) return DASH;
  return new Intl.DateTimeFormat(LOCALES[lang], { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(d);
}

/** A calendar day (YYYY-MM-DD in, e.g. 5 Dec 2026 out). */
export function day(lang: Lang, isoDay: string | null | undefined): string {
  if (!isoDay) return DASH;
  const d = new Date(`${isoDay.slice(0, 10)}T00:00:00Z`);
  return Number.isNaN(d.getTime()) ? DASH : new Intl.DateTimeFormat(LOCALES[lang], { dateStyle: 'medium', timeZone: 'UTC' }).format(d);
}
