import type { Config } from '../config';
import type { Service } from './types';

type Localized = Record<string, string>;

/** The text in `lang`, else the default language, else English, else any. */
export function pickText(text: Localized, lang: string | null, defaultLang: string): string {
  return text[lang ?? ''] ?? text[defaultLang] ?? text.en ?? Object.values(text)[0] ?? '';
}

/** Replaces `{name}` placeholders; unknown ones stay as written so a typo is visible, not silent. */
export function fill(template: string, vars: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => vars[k] ?? m);
}

/** "21 Nov 06:00" in the subscriber's time zone. */
export function formatDate(t: number, tz: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: tz, day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(t);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('day')} ${get('month')} ${get('hour')}:${get('minute')}`;
}

/** Placeholders every subscription text may use: service, price, currency, period, keyword, shortCode, date. */
export function serviceVars(service: Service, lang: string | null, cfg: Pick<Config, 'billing' | 'defaults'>, extra: Record<string, string> = {}): Record<string, string> {
  const price = Number.isInteger(service.price) ? String(service.price) : service.price.toFixed(2);
  return {
    service: service.name,
    price,
    currency: service.currency,
    period: pickText(cfg.billing.texts.periodNames[service.period], lang, cfg.defaults.language),
    keyword: service.keywords[0] ?? service.operators.africastalking?.keyword ?? '',
    shortCode: service.shortCode,
    ...extra,
  };
}
