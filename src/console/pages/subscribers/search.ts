import { profileHref } from './profile-href';
import type { FastifyInstance } from 'fastify';
import { ctx, sendHtml, type ConsoleDeps } from '../../context';
import { num, when } from '../../format';
import { html, type Html } from '../../html';
import { texts } from '../../i18n';
import { page } from '../../layout';
import { field } from '../../ui/field';
import { table } from '../../ui/table';
import { SubscriberSearchStore, type SubscriberHit } from '../../../subscribers/subscriber-search-store';

const PAGE_SIZE = 25;
const MIN_DIGITS = 3;

const T = texts(
  {
    title: 'Subscribers',
    lead: 'Find a subscriber by phone number, then open the profile to see what happened to them.',
    number: 'Number',
    numberHelp: 'The full number (+2547…, 2547… or 07…) or its last digits (at least 3).',
    search: 'Search',
    badNumber: `Type a phone number or at least ${MIN_DIGITS} of its last digits (digits only).`,
    results: (q: string) => `Numbers matching ${q}`,
    recent: 'Recently heard from',
    none: 'No subscriber matches.',
    noneYet: 'No subscriber has been heard from yet.',
    colNumber: 'Number',
    colRegion: 'Region',
    colLanguage: 'Language',
    colLastSeen: 'Last heard from',
    colOptOut: 'Opted out',
    yes: 'yes',
    no: 'no',
    previous: 'Previous page',
    next: 'Next page',
    pageOf: (n: string) => `Page ${n}`,
    paging: 'Pages',
  },
  {
    title: 'Wateja',
    lead: 'Tafuta mteja kwa nambari ya simu, kisha fungua wasifu wake kuona yaliyomtokea.',
    number: 'Nambari',
    numberHelp: 'Nambari kamili (+2547…, 2547… au 07…) au tarakimu zake za mwisho (angalau 3).',
    search: 'Tafuta',
    badNumber: `Andika nambari ya simu au angalau tarakimu ${MIN_DIGITS} za mwisho (tarakimu tu).`,
    results: (q: string) => `Nambari zinazolingana na ${q}`,
    recent: 'Waliowasiliana hivi karibuni',
    none: 'Hakuna mteja anayelingana.',
    noneYet: 'Bado hakuna mteja aliyewasiliana.',
    colNumber: 'Nambari',
    colRegion: 'Eneo',
    colLanguage: 'Lugha',
    colLastSeen: 'Aliwasiliana mwisho',
    colOptOut: 'Amejiondoa',
    yes: 'ndiyo',
    no: 'hapana',
    previous: 'Ukurasa uliotangulia',
    next: 'Ukurasa unaofuata',
    pageOf: (n: string) => `Ukurasa ${n}`,
    paging: 'Kurasa',
  },
);


/** GET /console/subscribers: search by number (full or last digits); without a query, the most recently seen. */
export function subscriberSearchPages(app: FastifyInstance, deps: ConsoleDeps): void {
  const { core } = deps;
  app.get('/subscribers', async (req, reply) => {
    const c = ctx(req);
    const t = T(c.lang);
    const query = (req.query ?? {}) as Record<string, unknown>;
    const q = typeof query.q === 'string' ? query.q.trim().slice(0, 32) : '';
    const pageNo = Math.min(10_000, Math.max(1, Number.parseInt(typeof query.page === 'string' ? query.page : '1', 10) || 1));
    const offset = (pageNo - 1) * PAGE_SIZE;
    const store = SubscriberSearchStore.of(core.database);

    let error: string | null = null;
    let hits: SubscriberHit[] = [];
    const compact = q.replace(/[\s-]/g, '');
    if (q === '') hits = await store.recentlySeen(PAGE_SIZE + 1, offset);
    else {
      const full = core.subscribers.normalize(compact);
      const exact = full ? await core.subscribers.findIn(undefined, full) : null;
      if (exact) hits = pageNo === 1 ? [{ id: exact.id, msisdn: exact.msisdn, region: exact.region, language: exact.language, optedOut: exact.optedOut, lastSeenAt: exact.lastSeenAt }] : [];
      else if (/^\d+$/.test(compact) && compact.length >= MIN_DIGITS) hits = await store.endingIn(compact, PAGE_SIZE + 1, offset);
      else if (!full) error = t.badNumber;
    }
    const more = hits.length > PAGE_SIZE;
    hits = hits.slice(0, PAGE_SIZE);

    const rows = hits.map((h) => [
      html`<a href="${profileHref(h.id)}">${c.msisdn(h.msisdn)}</a>`,
      h.region ?? '–',
      h.language ?? '–',
      when(c.lang, h.lastSeenAt, c.timeZone),
      h.optedOut ? t.yes : t.no,
    ]);
    const link = (n: number) => `/console/subscribers?${new URLSearchParams({ ...(q ? { q } : {}), page: String(n) }).toString()}`;
    const paging: Html | null =
      pageNo > 1 || more
        ? html`<nav aria-label="${t.paging}" class="pager"><ul>${pageNo > 1 ? html`<li><a href="${link(pageNo - 1)}" rel="prev">${t.previous}</a></li>` : null}<li>${t.pageOf(num(c.lang, pageNo))}</li>${more ? html`<li><a href="${link(pageNo + 1)}" rel="next">${t.next}</a></li>` : null}</ul></nav>`
        : null;
    const body = html`<form method="get" action="/console/subscribers" role="search">
${field({ name: 'q', label: t.number, type: 'search', value: q, help: t.numberHelp, error, attrs: 'inputmode="tel" autocomplete="off"' })}
<button type="submit">${t.search}</button>
</form>
${error
  ? null
  : html`<section aria-labelledby="results-h"><h2 id="results-h">${q ? t.results(q) : t.recent}</h2>
${table({ columns: [t.colNumber, t.colRegion, t.colLanguage, t.colLastSeen, t.colOptOut], rows, empty: q ? t.none : t.noneYet, id: 'subscriber-results' })}
${paging}</section>`}`;
    return sendHtml(reply, page(c, { title: t.title, lead: t.lead, body }), error ? 400 : 200);
  });
}
