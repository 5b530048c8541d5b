import { html, type Html, type Part } from '../html';
import type { ConsoleContext } from '../context';
import { texts } from '../i18n';

const T = texts(
  { from: 'From', to: 'To', show: 'Show', range: 'Dates', channel: 'Channel', all: 'All channels' },
  { from: 'Kuanzia', to: 'Hadi', show: 'Onyesha', range: 'Tarehe', channel: 'Njia', all: 'Njia zote' },
);

/** The range a page shows: `from` and `to` as the reports take them (YYYY-MM-DD), and optionally a channel. */
export interface RangeValues {
  from?: string | undefined;
  to?: string | undefined;
  channel?: 'ussd' | 'ivr' | 'sms' | undefined;
}

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

/** The range from a page's query string: only well-formed values pass; the report checks the rest (and answers 400). */
export function rangeFrom(query: unknown): RangeValues {
  const q = (query ?? {}) as Record<string, unknown>;
  const day = (v: unknown) => (typeof v === 'string' && DAY_RE.test(v) ? v : undefined);
  const ch = q.channel === 'ussd' || q.channel === 'ivr' || q.channel === 'sms' ? q.channel : undefined;
  return { from: day(q.from), to: day(q.to), channel: ch };
}

/** A GET form choosing the dates (and channel when asked), keeping `extra` fields the page adds. */
export function rangeForm(c: ConsoleContext, r: RangeValues, opts: { channel?: boolean; extra?: Part } = {}): Html {
  const t = T(c.lang);
  return html`<form method="get" class="range-form" role="search" aria-label="${t.range}">
<fieldset role="group">
<label>${t.from} <input type="date" name="from" value="${r.from ?? ''}"></label>
<label>${t.to} <input type="date" name="to" value="${r.to ?? ''}"></label>
${opts.channel
  ? html`<label>${t.channel} <select name="channel"><option value="">${t.all}</option>${(['ussd', 'ivr', 'sms'] as const).map(
      (ch) => html`<option value="${ch}"${r.channel === ch ? ' selected' : ''}>${ch.toUpperCase()}</option>`,
    )}</select></label>`
  : null}
${opts.extra ?? null}
<button type="submit">${t.show}</button>
</fieldset>
</form>`;
}
