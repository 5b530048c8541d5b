import type { FastifyInstance } from 'fastify';
import { ctx, sendHtml, type ConsoleContext, type ConsoleDeps } from '../context';
import { num, pct, when } from '../format';
import { html, type Html } from '../html';
import { texts, type Lang } from '../i18n';
import { page } from '../layout';
import { chart } from '../ui/chart';
import { rangeForm, rangeFrom } from '../ui/range';
import { table } from '../ui/table';
import { datesLine, runReport } from './report-page';

const T = texts(
  {
    title: 'Value tiers',
    lead: 'Who are our most valuable subscribers, are we keeping them, and what did the ones who left take with them, against what we spent on each tier?',
    rule: (core: string, growth: string, days: string) =>
      `Subscribers with us at least ${days} days are ranked by residual value (what their subscriptions are expected to bring in). The top ${core} are core, the next ${growth} growth, the rest base; younger subscribers are new.`,
    asOf: (d: string) => `Tiers as of ${d}.`,
    none: 'No tiers computed yet: they are computed by the first CRM pass of each day.',
    retentionFrom: (d: string) => `Retention counts from the tiers of ${d} to the end of these dates.`,
    noRetention: 'No tiers were computed by the start of these dates, so retention cannot be measured for them.',
    tier: 'Tier',
    subscribers: 'Subscribers now',
    residual: 'Residual value now',
    revenue: 'Revenue charged',
    retention: 'Still subscribed',
    ci: '95% interval',
    churned: 'Left',
    lost: 'Value that left',
    decided: 'Interventions',
    cost: 'Intervention cost',
    tableCaption: 'Per tier, in these dates',
    chartTitle: 'Revenue charged, value that left and intervention cost per tier',
    revenueSeries: 'Revenue charged',
    lostSeries: 'Value that left',
    costSeries: 'Intervention cost',
    untiered: (amount: string, n: string) => `Charges of subscribers without a tier when they were read (before the first scoring, or after they left): ${amount} from ${n} charges.`,
  },
  {
    title: 'Viwango vya thamani',
    lead: 'Wateja wetu wenye thamani kubwa zaidi ni akina nani, je tunawabakiza, na walioondoka walichukua thamani gani, ikilinganishwa na tulichotumia kwa kila kiwango?',
    rule: (core: string, growth: string, days: string) =>
      `Wateja waliokaa nasi angalau siku ${days} hupangwa kwa thamani iliyobaki (kile usajili wao unatarajiwa kuleta). ${core} wa juu ni core, ${growth} wanaofuata ni growth, waliobaki ni base; wateja wapya zaidi ni new.`,
    asOf: (d: string) => `Viwango vya tarehe ${d}.`,
    none: 'Bado hakuna viwango: huhesabiwa na uchambuzi wa kwanza wa CRM wa kila siku.',
    retentionFrom: (d: string) => `Kubaki kunahesabiwa kuanzia viwango vya ${d} hadi mwisho wa tarehe hizi.`,
    noRetention: 'Hakuna viwango vilivyohesabiwa kufikia mwanzo wa tarehe hizi, kwa hiyo kubaki hakuwezi kupimwa.',
    tier: 'Kiwango',
    subscribers: 'Wateja sasa',
    residual: 'Thamani iliyobaki sasa',
    revenue: 'Mapato yaliyotozwa',
    retention: 'Bado wamesajiliwa',
    ci: 'Kipindi cha 95%',
    churned: 'Walioondoka',
    lost: 'Thamani iliyoondoka',
    decided: 'Hatua',
    cost: 'Gharama ya hatua',
    tableCaption: 'Kwa kila kiwango, katika tarehe hizi',
    chartTitle: 'Mapato yaliyotozwa, thamani iliyoondoka na gharama ya hatua kwa kila kiwango',
    revenueSeries: 'Mapato yaliyotozwa',
    lostSeries: 'Thamani iliyoondoka',
    costSeries: 'Gharama ya hatua',
    untiered: (amount: string, n: string) => `Malipo ya wateja wasio na kiwango yaliposomwa (kabla ya upimaji wa kwanza, au baada ya kuondoka): ${amount} kutoka malipo ${n}.`,
  },
);

type TierRow = {
  tier: string;
  subscribers: number | null;
  residualValue: number | null;
  revenue: { amount: number; charges: number };
  retention: { atStart: number; left: number; stillSubscribed: number; rate: number | null; ci95: [number, number] | null } | null;
  churned: { subscribers: number; lostValue: number };
  interventions: { decided: number; treated: number; cost: number };
};
type Report = {
  currency: string;
  shares: { core: number; growth: number; minTenureDays: number };
  computedAt: string | null;
  retentionFrom: string | null;
  tiers: TierRow[];
  untiered: { revenue: { amount: number; charges: number } };
};

const money = (lang: Lang, currency: string, amount: number | null) => (amount === null ? '–' : `${currency} ${num(lang, amount, 2)}`);

function figures(c: ConsoleContext, r: Report): Html {
  const t = T(c.lang);
  // Tier names stay as the API and segment filters spell them, in both languages.
  const name = (tier: string) => tier;
  const rows = r.tiers.map((x) => [
    name(x.tier),
    num(c.lang, x.subscribers),
    money(c.lang, r.currency, x.residualValue),
    money(c.lang, r.currency, x.revenue.amount),
    x.retention ? `${pct(c.lang, x.retention.rate)} (${num(c.lang, x.retention.stillSubscribed)} / ${num(c.lang, x.retention.atStart)})` : '–',
    x.retention?.ci95 ? `${pct(c.lang, x.retention.ci95[0])} – ${pct(c.lang, x.retention.ci95[1])}` : '–',
    num(c.lang, x.churned.subscribers),
    money(c.lang, r.currency, x.churned.lostValue),
    num(c.lang, x.interventions.decided),
    money(c.lang, r.currency, x.interventions.cost),
  ]);
  return html`<p>${t.rule(pct(c.lang, r.shares.core), pct(c.lang, r.shares.growth), num(c.lang, r.shares.minTenureDays))}</p>
<p>${r.computedAt ? t.asOf(when(c.lang, r.computedAt, c.timeZone)) : t.none}</p>
<p>${r.retentionFrom ? t.retentionFrom(when(c.lang, r.retentionFrom, c.timeZone)) : t.noRetention}</p>
${chart({
  id: 'tiers-money',
  title: t.chartTitle,
  type: 'bar',
  format: 'count',
  labels: r.tiers.map((x) => name(x.tier)),
  series: [
    { label: t.revenueSeries, data: r.tiers.map((x) => x.revenue.amount), color: 'green' },
    { label: t.lostSeries, data: r.tiers.map((x) => x.churned.lostValue), color: 'red' },
    { label: t.costSeries, data: r.tiers.map((x) => x.interventions.cost), color: 'amber' },
  ],
})}
${table({
  caption: t.tableCaption,
  columns: [
    t.tier,
    { label: t.subscribers, numeric: true },
    { label: t.residual, numeric: true },
    { label: t.revenue, numeric: true },
    { label: t.retention, numeric: true },
    { label: t.ci, numeric: true },
    { label: t.churned, numeric: true },
    { label: t.lost, numeric: true },
    { label: t.decided, numeric: true },
    { label: t.cost, numeric: true },
  ],
  rows,
  id: 'tiers-table',
})}
<p><small>${t.untiered(money(c.lang, r.currency, r.untiered.revenue.amount), num(c.lang, r.untiered.revenue.charges))}</small></p>`;
}

/** /console/tiers: value tiers with revenue, retention, the value that left and intervention cost per tier (the `tiers` report). */
export function tiersPages(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get('/tiers', async (req, reply) => {
    const c = ctx(req);
    const t = T(c.lang);
    const range = rangeFrom(req.query);
    const run = await runReport(deps.core, 'tiers', range);
    const r = run.report as unknown as Report | null;
    const body = html`${rangeForm(c, range)}
${run.failure ? html`<p class="error" role="alert">${run.failure.message}</p>` : null}
${r ? html`${datesLine(c.lang, run.report!)}${figures(c, r)}` : null}`;
    return sendHtml(reply, page(c, { title: t.title, lead: t.lead, body }), run.failure ? 400 : 200);
  });
}
