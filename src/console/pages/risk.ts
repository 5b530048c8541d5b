import type { FastifyInstance } from 'fastify';
import { ctx, sendHtml, type ConsoleContext, type ConsoleDeps } from '../context';
import { day, num, pct, when } from '../format';
import { html, type Html } from '../html';
import { texts } from '../i18n';
import { page } from '../layout';
import { chart } from '../ui/chart';
import { field } from '../ui/field';
import { table } from '../ui/table';
import { limitFrom, moreLink, queryOf, runReport, serviceFrom, serviceOptions, stateFrom, stateName, stateOptions, subscriberLinks, type SubscriberLink } from './report-page';

const T = texts(
  {
    title: 'Risk',
    lead: 'Which paying subscribers are we likely to lose, how much money goes with them, and is it their payments or their interest that is failing?',
    filters: 'Filters',
    service: 'Service',
    state: 'Subscription state',
    limit: 'Subscribers per list',
    show: 'Show',
    computedAt: (at: string) => `Scored ${at}. The lists hold live subscriptions whose risk is at least the threshold below.`,
    notScored: 'Not scored yet: the CRM scores subscriptions in its daily pass.',
    scored: 'Live subscriptions scored',
    lapseCount: 'At risk of lapsing (payments)',
    disengageCount: 'At risk of dropping out (use)',
    notJudged: 'Too new to judge',
    threshold: (p: string) => `counted from a risk of ${p}`,
    byStateTitle: 'Value at risk by subscription state',
    stateCol: 'State',
    subscribers: 'Subscribers',
    lapseValue: 'Lapse: value at risk',
    disengageValue: 'Drop-out: value at risk',
    residual: 'Expected value still to come',
    lapseTitle: 'Likely to lapse: renewals failing',
    lapseLead: 'Their payments are failing or likely to fail. Remedy: a save message about balance or price, a reminder, a look at the operator’s billing.',
    disengageTitle: 'Likely to drop out: not using the service',
    disengageLead: 'They have stopped or nearly stopped using the service. Remedy: show them the service again (a nudge, a guidance call).',
    rank: 'Rank',
    subscriber: 'Subscriber',
    risk: 'Risk',
    valueAtRisk: 'Value at risk',
    renew: 'Chance next renewal succeeds',
    failures: 'Failed charges in a row',
    recentFailed: 'Failed charges lately',
    alive: 'Chance still a user',
    lastActive: 'Last used',
    activeDays: 'Days used',
    never: 'never',
    empty: 'Nobody is at this risk with these filters.',
    allTotals: 'These totals cover every service and state; the lists below follow the filters.',
    valueNote: 'Value at risk = the risk times what the subscription is expected to bring in over the scoring horizon (discounted).',
  },
  {
    title: 'Hatari',
    lead: 'Ni wateja gani wanaolipa tunaoweza kuwapoteza, ni pesa ngapi zinaondoka nao, na je ni malipo yao au hamu yao inayoshindwa?',
    filters: 'Vichujio',
    service: 'Huduma',
    state: 'Hali ya usajili',
    limit: 'Wateja kwa kila orodha',
    show: 'Onyesha',
    computedAt: (at: string) => `Imepimwa ${at}. Orodha zina usajili hai ambao hatari yake ni angalau kiwango kilicho hapa chini.`,
    notScored: 'Bado haijapimwa: CRM hupima usajili katika uchambuzi wake wa kila siku.',
    scored: 'Usajili hai uliopimwa',
    lapseCount: 'Hatari ya kukatika (malipo)',
    disengageCount: 'Hatari ya kuacha kutumia',
    notJudged: 'Wapya mno kupimwa',
    threshold: (p: string) => `huhesabiwa kuanzia hatari ya ${p}`,
    byStateTitle: 'Thamani iliyo hatarini kwa hali ya usajili',
    stateCol: 'Hali',
    subscribers: 'Wateja',
    lapseValue: 'Kukatika: thamani hatarini',
    disengageValue: 'Kuacha: thamani hatarini',
    residual: 'Thamani inayotarajiwa bado',
    lapseTitle: 'Wanaoweza kukatika: malipo yanashindwa',
    lapseLead: 'Malipo yao yanashindwa au huenda yakashindwa. Suluhisho: ujumbe kuhusu salio au bei, ukumbusho, kukagua malipo ya mtandao.',
    disengageTitle: 'Wanaoweza kuacha: hawatumii huduma',
    disengageLead: 'Wameacha au karibu waache kutumia huduma. Suluhisho: waonyeshe huduma tena (ukumbusho, simu ya mwongozo).',
    rank: 'Nafasi',
    subscriber: 'Mteja',
    risk: 'Hatari',
    valueAtRisk: 'Thamani hatarini',
    renew: 'Uwezekano malipo yajayo yafaulu',
    failures: 'Malipo yaliyoshindwa mfululizo',
    recentFailed: 'Malipo yaliyoshindwa karibuni',
    alive: 'Uwezekano bado anatumia',
    lastActive: 'Alitumia mwisho',
    activeDays: 'Siku alizotumia',
    never: 'hajawahi',
    empty: 'Hakuna aliye katika hatari hii kwa vichujio hivi.',
    allTotals: 'Jumla hizi ni za huduma na hali zote; orodha zilizo hapa chini zinafuata vichujio.',
    valueNote: 'Thamani hatarini = hatari mara kile usajili unatarajiwa kuleta katika kipindi cha upimaji (kilichopunguzwa thamani).',
  },
);

type Item = {
  rank: number;
  msisdn: string;
  serviceId: string;
  risk: number | null;
  valueAtRisk: number | null;
  residualValue: number | null;
  evidence: { state: string; renewProbability: number | null; consecutiveFailures: number | null; recentFailedCharges: number | null; pAlive: number | null; neverActive: boolean; lastActiveDay: string | null; activeDays: number | null };
};
type StateSummary = { subscribers: number; lapseValueAtRisk: number; disengagementValueAtRisk: number; residualValue: number };
type Summary = { subscriptions: number; atRiskFrom: number; atRisk: { lapse: number; disengagement: number; notYetJudged: number }; byState: Record<string, StateSummary> };
type Risk = { computedAt: string | null; summary: Summary | null; lapse: Item[]; disengagement: Item[] };

/** The currency values are in: the service's, or the one all services share (none when they differ). */
function currencyOf(deps: ConsoleDeps, serviceId?: string): string {
  const services = deps.core.config.services;
  const s = serviceId ? services.find((x) => x.id === serviceId) : undefined;
  if (s) return s.currency;
  const all = new Set(services.map((x) => x.currency));
  return all.size === 1 ? [...all][0]! : '';
}

function summary(c: ConsoleContext, deps: ConsoleDeps, s: Summary, filtered: boolean): Html {
  const t = T(c.lang);
  const cur = currencyOf(deps);
  const money = (v: number) => `${cur ? `${cur} ` : ''}${num(c.lang, v)}`;
  const card = (label: string, figure: string, sub?: string) =>
    html`<article class="card"><span class="sub">${label}</span><strong class="figure">${figure}</strong>${sub ? html`<span class="sub">${sub}</span>` : null}</article>`;
  const states = Object.entries(s.byState);
  return html`${filtered ? html`<p><small>${t.allTotals}</small></p>` : null}<div class="cards">
${card(t.scored, num(c.lang, s.subscriptions))}
${card(t.lapseCount, num(c.lang, s.atRisk.lapse), t.threshold(pct(c.lang, s.atRiskFrom, 0)))}
${card(t.disengageCount, num(c.lang, s.atRisk.disengagement), t.threshold(pct(c.lang, s.atRiskFrom, 0)))}
${card(t.notJudged, num(c.lang, s.atRisk.notYetJudged))}
</div>
<section id="by-state"><h2>${t.byStateTitle}</h2>
${states.length > 0
  ? chart({
      id: 'risk-by-state',
      title: t.byStateTitle,
      type: 'bar',
      format: 'count',
      labels: states.map(([k]) => stateName(c.lang, k, true)),
      series: [
        { label: t.lapseValue, data: states.map(([, v]) => v.lapseValueAtRisk), color: 'red' },
        { label: t.disengageValue, data: states.map(([, v]) => v.disengagementValueAtRisk), color: 'amber' },
      ],
    })
  : null}
${table({
  caption: t.byStateTitle,
  columns: [t.stateCol, { label: t.subscribers, numeric: true }, { label: t.lapseValue, numeric: true }, { label: t.disengageValue, numeric: true }, { label: t.residual, numeric: true }],
  rows: states.map(([k, v]) => [stateName(c.lang, k), num(c.lang, v.subscribers), money(v.lapseValueAtRisk), money(v.disengagementValueAtRisk), money(v.residualValue)]),
  empty: t.empty,
  id: 'risk-by-state-table',
})}
<p><small>${t.valueNote}</small></p>
</section>`;
}

function ranking(c: ConsoleContext, deps: ConsoleDeps, link: SubscriberLink, id: string, title: string, lead: string, items: Item[], more: Html | null): Html {
  const t = T(c.lang);
  // One service: its name in every row would only crowd a phone's screen.
  const showService = deps.core.config.services.length > 1;
  const rows = items.map((i) => {
    const cur = currencyOf(deps, i.serviceId);
    const e = i.evidence;
    return [
      num(c.lang, i.rank),
      link(i.msisdn, c.msisdn(i.msisdn)),
      ...(showService ? [deps.core.config.services.find((s) => s.id === i.serviceId)?.name ?? i.serviceId] : []),
      stateName(c.lang, e.state, true),
      pct(c.lang, i.risk, 0),
      `${cur} ${num(c.lang, i.valueAtRisk)}`.trim(),
      pct(c.lang, e.renewProbability, 0),
      num(c.lang, e.consecutiveFailures),
      num(c.lang, e.recentFailedCharges),
      pct(c.lang, e.pAlive, 0),
      e.neverActive ? t.never : day(c.lang, e.lastActiveDay),
      num(c.lang, e.activeDays),
    ];
  });
  return html`<section id="${id}"><h2>${title}</h2>
<p>${lead}</p>
${table({
  caption: title,
  columns: [
    { label: t.rank, numeric: true },
    t.subscriber,
    ...(showService ? [t.service] : []),
    t.stateCol,
    { label: t.risk, numeric: true },
    { label: t.valueAtRisk, numeric: true },
    { label: t.renew, numeric: true },
    { label: t.failures, numeric: true },
    { label: t.recentFailed, numeric: true },
    { label: t.alive, numeric: true },
    t.lastActive,
    { label: t.activeDays, numeric: true },
  ],
  rows,
  empty: t.empty,
  id: `${id}-table`,
})}
${more}
</section>`;
}

/** /console/risk: the lapse and disengagement rankings with value at risk and evidence; service, state, limit. */
export function riskPages(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get('/risk', async (req, reply) => {
    const c = ctx(req);
    const t = T(c.lang);
    const q = queryOf(req.query);
    const service = serviceFrom(deps.core, c.lang, q.service);
    const state = stateFrom(c.lang, q.state);
    const limit = limitFrom(c.lang, q.limit, 20);
    const bad = service.error || state.error || limit.error;
    const run = bad ? { report: null, failure: null } : await runReport(deps.core, 'risk', { service: service.value, state: state.value, limit: limit.value });
    const form = html`<form method="get" class="range-form" role="search" aria-label="${t.filters}">
<fieldset role="group">
<div>${field({ name: 'service', label: t.service, type: 'select', value: service.value ?? '', options: serviceOptions(deps.core, c.lang), error: service.error })}</div>
<div>${field({ name: 'state', label: t.state, type: 'select', value: state.value ?? '', options: stateOptions(c.lang), error: state.error })}</div>
<div>${field({ name: 'limit', label: t.limit, type: 'number', value: limit.error ? q.limit : limit.value, error: limit.error, attrs: 'min="1" max="10000" step="1"' })}</div>
<button type="submit">${t.show}</button>
</fieldset>
</form>`;
    const r = run.report as unknown as Risk | null;
    const link = await subscriberLinks(deps.core, r ? [...r.lapse, ...r.disengagement].map((i) => i.msisdn) : []);
    const lists = (r: Risk) => {
      const longest = Math.max(r.lapse.length, r.disengagement.length);
      const more = moreLink(c.lang, '/risk', { ...q, limit: String(limit.value) }, longest, limit.value);
      return html`${ranking(c, deps, link, 'lapse', t.lapseTitle, t.lapseLead, r.lapse, r.lapse.length >= limit.value ? more : null)}
${ranking(c, deps, link, 'disengagement', t.disengageTitle, t.disengageLead, r.disengagement, r.disengagement.length >= limit.value ? more : null)}`;
    };
    const body = html`${form}
${run.failure ? html`<p class="error" role="alert">${run.failure.message}</p>` : null}
${r
  ? html`${r.computedAt ? html`<p>${t.computedAt(when(c.lang, r.computedAt, c.timeZone))}</p>` : html`<p class="empty">${t.notScored}</p>`}
${r.summary ? summary(c, deps, r.summary, !!(service.value || state.value)) : null}
${lists(r)}`
  : null}`;
    return sendHtml(reply, page(c, { title: t.title, lead: t.lead, body }), bad || run.failure ? 400 : 200);
  });
}
