import type { FastifyInstance } from 'fastify';
import { ctx, sendHtml, type ConsoleContext, type ConsoleDeps } from '../context';
import { day, num, pct } from '../format';
import { html, type Html } from '../html';
import { texts, type Lang } from '../i18n';
import { page } from '../layout';
import { chart } from '../ui/chart';
import { field } from '../ui/field';
import { rangeForm, rangeFrom } from '../ui/range';
import { table } from '../ui/table';
import { datesLine, queryOf, runReport, serviceFrom, serviceOptions } from './report-page';

const T = texts(
  {
    title: 'Paying vs using',
    lead: 'Of the people paying for a service, how many actually use it, and how much money comes from those who do not?',
    service: 'Service',
    asOf: (d: string) => `As of ${d} (the last daily count in these dates).`,
    none: 'No daily count in these dates yet: the counts are taken by the first CRM pass of each day.',
    matrix: (name: string) => `${name}: live subscriptions`,
    paying: 'Paying',
    notPaying: 'Not paying (charges failing)',
    using: (d: string) => `Using (reached content in the last ${d} days)`,
    notUsing: 'Not using',
    total: 'Total',
    who: 'Charged?',
    people: (n: string) => `${n} subscribers`,
    perMonth: (amount: string) => `${amount} a month`,
    atStake: 'Revenue at stake',
    atStakeSub: (n: string) => `a month, from ${n} who pay without using: the likeliest to cancel or complain`,
    payingNotUsing: 'Paying but not using',
    share: (p: string) => `${p} of those paying`,
    usingWithout: (n: string, d: string) => `${n} people used the service in the last ${d} days without a subscription.`,
    trendTitle: 'Paying but not using, day by day',
    trendTable: 'The figures by day',
    dayCol: 'Day',
    subscribers: 'Subscribers',
    revenue: 'Revenue at stake',
    noServices: 'No service matches.',
  },
  {
    title: 'Wanaolipa dhidi ya wanaotumia',
    lead: 'Kati ya watu wanaolipia huduma, ni wangapi wanaitumia kweli, na ni pesa ngapi zinatoka kwa wasioitumia?',
    service: 'Huduma',
    asOf: (d: string) => `Hali ya tarehe ${d} (hesabu ya mwisho ya kila siku katika tarehe hizi).`,
    none: 'Bado hakuna hesabu ya kila siku katika tarehe hizi: hesabu huchukuliwa na uchambuzi wa kwanza wa CRM wa kila siku.',
    matrix: (name: string) => `${name}: usajili hai`,
    paying: 'Wanaolipa',
    notPaying: 'Wasiolipa (malipo yanashindwa)',
    using: (d: string) => `Wanaotumia (walifikia maudhui katika siku ${d} zilizopita)`,
    notUsing: 'Wasiotumia',
    total: 'Jumla',
    who: 'Wanatozwa?',
    people: (n: string) => `wateja ${n}`,
    perMonth: (amount: string) => `${amount} kwa mwezi`,
    atStake: 'Mapato yaliyo hatarini',
    atStakeSub: (n: string) => `kwa mwezi, kutoka kwa ${n} wanaolipa bila kutumia: ndio wanaoweza zaidi kujiondoa au kulalamika`,
    payingNotUsing: 'Wanaolipa bila kutumia',
    share: (p: string) => `${p} ya wanaolipa`,
    usingWithout: (n: string, d: string) => `Watu ${n} walitumia huduma katika siku ${d} zilizopita bila usajili.`,
    trendTitle: 'Wanaolipa bila kutumia, siku kwa siku',
    trendTable: 'Takwimu kwa siku',
    dayCol: 'Siku',
    subscribers: 'Wateja',
    revenue: 'Mapato yaliyo hatarini',
    noServices: 'Hakuna huduma inayolingana.',
  },
);

type Cell = { subscribers: number; monthlyRevenue: number };
type Matrix = { payingUsing: Cell; payingNotUsing: Cell; notPayingUsing: Cell; notPayingNotUsing: Cell; windowDays: number; currency: string; revenueAtStake: number };
type Report = {
  asOf: string | null;
  services: Record<string, Matrix>;
  usingWithoutSubscription?: { subscribers: number; windowDays: number };
  trend: { day: string; services: Record<string, { payingNotUsing: number; revenueAtStake: number }> }[];
};

const money = (lang: Lang, currency: string, amount: number) => `${currency} ${num(lang, amount)}`;

function serviceName(deps: ConsoleDeps, id: string): string {
  return deps.core.config.services.find((s) => s.id === id)?.name ?? id;
}

/** One service's 2x2: paying or not (rows) by using or not (columns), each cell with its monthly revenue. */
function matrix(c: ConsoleContext, name: string, m: Matrix): Html {
  const t = T(c.lang);
  const cell = (x: Cell, revenue: boolean) =>
    html`<strong>${num(c.lang, x.subscribers)}</strong>${revenue ? html`<br><small>${t.perMonth(money(c.lang, m.currency, x.monthlyRevenue))}</small>` : null}`;
  const paying = m.payingUsing.subscribers + m.payingNotUsing.subscribers;
  const share = paying > 0 ? m.payingNotUsing.subscribers / paying : null;
  return html`<article>
<h2>${name}</h2>
<div class="cards">
<article class="card"><span class="sub">${t.payingNotUsing}</span><strong class="figure">${num(c.lang, m.payingNotUsing.subscribers)}</strong><span class="sub">${t.share(pct(c.lang, share))}</span></article>
<article class="card"><span class="sub">${t.atStake}</span><strong class="figure">${money(c.lang, m.currency, m.revenueAtStake)}</strong><span class="sub">${t.atStakeSub(num(c.lang, m.payingNotUsing.subscribers))}</span></article>
</div>
${table({
  caption: t.matrix(name),
  columns: [t.who, { label: t.using(num(c.lang, m.windowDays)), numeric: true }, { label: t.notUsing, numeric: true }, { label: t.total, numeric: true }],
  rows: [
    [t.paying, cell(m.payingUsing, true), cell(m.payingNotUsing, true), num(c.lang, paying)],
    [t.notPaying, cell(m.notPayingUsing, false), cell(m.notPayingNotUsing, false), num(c.lang, m.notPayingUsing.subscribers + m.notPayingNotUsing.subscribers)],
  ],
  id: `matrix-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`,
})}
</article>`;
}

function trend(c: ConsoleContext, deps: ConsoleDeps, r: Report): Html | null {
  const t = T(c.lang);
  const ids = [...new Set(r.trend.flatMap((d) => Object.keys(d.services)))];
  if (r.trend.length === 0 || ids.length === 0) return null;
  const currency = (id: string) => r.services[id]?.currency ?? deps.core.config.services.find((s) => s.id === id)?.currency ?? '';
  const columns = [t.dayCol, ...ids.flatMap((id) => [{ label: `${serviceName(deps, id)}: ${t.subscribers}`, numeric: true }, { label: `${serviceName(deps, id)}: ${t.revenue}`, numeric: true }])];
  const rows = r.trend.map((d) => [
    day(c.lang, d.day),
    ...ids.flatMap((id) => {
      const s = d.services[id];
      return s ? [num(c.lang, s.payingNotUsing), money(c.lang, currency(id), s.revenueAtStake)] : ['–', '–'];
    }),
  ]);
  return html`<section id="trend"><h2>${t.trendTitle}</h2>
${chart({
  id: 'paying-trend',
  title: t.trendTitle,
  type: 'line',
  format: 'count',
  labels: r.trend.map((d) => day(c.lang, d.day)),
  series: ids.map((id) => ({ label: serviceName(deps, id), data: r.trend.map((d) => d.services[id]?.payingNotUsing ?? null) })),
})}
<details><summary>${t.trendTable}</summary>
${table({ caption: t.trendTitle, columns, rows, id: 'trend-table' })}
</details>
</section>`;
}

/** /console/paying-vs-using: live subscriptions by paying x using, the revenue at stake, and its daily trend. */
export function payingVsUsingPages(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get('/paying-vs-using', async (req, reply) => {
    const c = ctx(req);
    const t = T(c.lang);
    const q = queryOf(req.query);
    const range = rangeFrom(req.query);
    const service = serviceFrom(deps.core, c.lang, q.service);
    const run = service.error ? { report: null, failure: null } : await runReport(deps.core, 'paying-vs-using', { ...range, service: service.value });
    const form = rangeForm(c, range, {
      extra: html`<div>${field({ name: 'service', label: t.service, type: 'select', value: service.value ?? '', options: serviceOptions(deps.core, c.lang), error: service.error })}</div>`,
    });
    const r = run.report as unknown as Report | null;
    let figures: Html | null = null;
    if (r) {
      const services = Object.entries(r.services);
      figures = r.asOf
        ? html`${datesLine(c.lang, run.report!)}<p>${t.asOf(day(c.lang, r.asOf))}</p>
${services.length > 0 ? services.map(([id, m]) => matrix(c, serviceName(deps, id), m)) : html`<p class="empty">${t.noServices}</p>`}
${r.usingWithoutSubscription && !service.value ? html`<p>${t.usingWithout(num(c.lang, r.usingWithoutSubscription.subscribers), num(c.lang, r.usingWithoutSubscription.windowDays))}</p>` : null}
${trend(c, deps, r)}`
        : html`<p class="empty">${t.none}</p>`;
    }
    const body = html`${form}
${run.failure ? html`<p class="error" role="alert">${run.failure.message}</p>` : null}
${figures}`;
    return sendHtml(reply, page(c, { title: t.title, lead: t.lead, body }), service.error || run.failure ? 400 : 200);
  });
}
