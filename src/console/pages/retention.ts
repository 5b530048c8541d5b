import type { FastifyInstance } from 'fastify';
import { ctx, sendHtml, type ConsoleDeps, type ConsoleContext } from '../context';
import { num, pct, when } from '../format';
import { html, type Html } from '../html';
import { texts } from '../i18n';
import { page } from '../layout';
import { chart } from '../ui/chart';
import { field } from '../ui/field';
import { rangeForm, rangeFrom } from '../ui/range';
import { table } from '../ui/table';
import { choice, rangeError, runReport } from './report-page';

const T = texts(
  {
    title: 'Retention',
    lead: 'How long do subscribers keep paying? For each group who subscribed in the same month or week, the share still subscribed after each renewal, next to the curve the CRM fitted to them.',
    howTitle: 'How to read this',
    how1: 'The solid line is what happened: of the subscribers in the cohort, the share still paying after 1, 2, 3… renewals (subscribers who joined recently count only for the renewals they have reached).',
    how2: 'The dashed line is the fitted curve (a shifted-beta-geometric model) the CRM uses to predict lapses and lifetime value. Where the two lines part, the model is wrong for that cohort.',
    how3: 'A cohort that is too small or too young has no curve of its own: it shows the curve of all cohorts together, and says why.',
    service: 'Service',
    allServices: 'All services',
    badService: 'Choose a service from the list.',
    subscriptionsH: 'Subscription cohorts',
    cohortH: (service: string, cohort: string) => `${service}: ${cohort}`,
    cohortOf: (cohort: string) => `cohort ${cohort}`,
    allCohorts: 'all cohorts together',
    none: 'No subscription cohorts have been fitted in these dates yet: the CRM fits them in its daily pass once there are subscriptions.',
    subscriptions: 'Subscriptions',
    churned: 'Lapsed so far',
    lifetime: 'Expected lifetime of a new subscriber',
    lifetimeValue: (days: string, periods: string) => `${days} days (${periods} renewals)`,
    churnPerPeriod: 'Average chance of lapsing at each renewal',
    curve: 'Curve shown',
    curveOwn: 'its own fit',
    curvePooled: 'all cohorts together (pooled)',
    curveShrunk: 'its own fit, pulled towards the pooled curve (little data)',
    quality: 'Fit quality',
    largestGap: 'Largest gap between the observed and fitted lines (percentage points)',
    logLik: 'Log-likelihood',
    converged: 'Fit converged',
    identified: 'Parameters identified',
    atBound: 'Parameters at a limit',
    params: 'Parameter (95% interval)',
    yes: 'yes',
    no: 'no',
    why: 'Why',
    reason_too_small: 'too few subscribers in the cohort',
    reason_too_young: 'the cohort has been watched for too few days',
    reason_too_few_events: 'too few lapses so far',
    thin: 'Little data: treat this curve as a first guess',
    chartTitle: (cohort: string) => `Share still subscribed after each renewal, ${cohort}: observed (solid) and fitted (dashed)`,
    observed: 'Observed',
    fitted: 'Fitted',
    figures: 'Figures behind the chart',
    period: 'Renewal',
    atRisk: 'Still at risk',
    fittedAt: 'Fitted on',
    activityH: 'Activity cohorts (BG/BB)',
    activityLead: 'How often subscribers come back to the service, by the month they first used it: the BG/BB model of daily use and drop-out the CRM fits.',
    activityNone: 'No activity cohorts have been fitted in these dates yet.',
    cohort: 'Cohort',
    subscribers: 'Subscribers',
    dailyActivity: 'Chance of using it on a given day (while still a user)',
    dailyDropout: 'Chance of dropping out after a day of use',
    repeatTitle: (cohort: string) => `Subscribers by number of further days of use, ${cohort}: observed (bars) and fitted (line)`,
    repeatDays: 'Further days of use',
  },
  {
    title: 'Kubaki',
    lead: 'Wateja wanaendelea kulipa kwa muda gani? Kwa kila kundi lililojisajili mwezi au wiki moja, sehemu ambayo bado imejisajili baada ya kila usajili upya, kando ya mkunjo ambao CRM imekadiria kwao.',
    howTitle: 'Jinsi ya kusoma ukurasa huu',
    how1: 'Mstari kamili ni kilichotokea: kati ya wateja wa kundi, sehemu inayoendelea kulipa baada ya usajili upya 1, 2, 3… (waliojiunga karibuni wanahesabiwa tu kwa usajili upya waliofikia).',
    how2: 'Mstari wa vistari ni mkunjo uliokadiriwa (modeli ya shifted-beta-geometric) ambao CRM hutumia kutabiri watakaoacha na thamani ya maisha ya mteja. Mistari miwili ikitengana, modeli haifai kundi hilo.',
    how3: 'Kundi dogo mno au changa mno halina mkunjo wake: linaonyesha mkunjo wa makundi yote pamoja, na kusema sababu.',
    service: 'Huduma',
    allServices: 'Huduma zote',
    badService: 'Chagua huduma kutoka kwenye orodha.',
    subscriptionsH: 'Makundi ya usajili',
    cohortH: (service: string, cohort: string) => `${service}: ${cohort}`,
    cohortOf: (cohort: string) => `kundi la ${cohort}`,
    allCohorts: 'makundi yote pamoja',
    none: 'Bado hakuna makundi ya usajili yaliyokadiriwa katika tarehe hizi: CRM huyakadiria katika mzunguko wake wa kila siku mara kukiwa na usajili.',
    subscriptions: 'Usajili',
    churned: 'Walioacha hadi sasa',
    lifetime: 'Muda unaotarajiwa wa mteja mpya',
    lifetimeValue: (days: string, periods: string) => `siku ${days} (usajili upya ${periods})`,
    churnPerPeriod: 'Wastani wa uwezekano wa kuacha kila usajili upya',
    curve: 'Mkunjo unaoonyeshwa',
    curveOwn: 'ukadiriaji wake mwenyewe',
    curvePooled: 'makundi yote pamoja',
    curveShrunk: 'ukadiriaji wake, uliovutwa kuelekea mkunjo wa pamoja (data kidogo)',
    quality: 'Ubora wa ukadiriaji',
    largestGap: 'Pengo kubwa zaidi kati ya mstari ulioonekana na uliokadiriwa (pointi za asilimia)',
    logLik: 'Log-likelihood',
    converged: 'Ukadiriaji umekamilika',
    identified: 'Vigezo vimebainika',
    atBound: 'Vigezo vilivyofika kikomo',
    params: 'Kigezo (kipindi cha 95%)',
    yes: 'ndiyo',
    no: 'hapana',
    why: 'Sababu',
    reason_too_small: 'wateja wachache mno katika kundi',
    reason_too_young: 'kundi limefuatiliwa kwa siku chache mno',
    reason_too_few_events: 'walioacha ni wachache mno hadi sasa',
    thin: 'Data ni kidogo: chukulia mkunjo huu kama makisio ya awali',
    chartTitle: (cohort: string) => `Sehemu ambayo bado imejisajili baada ya kila usajili upya, ${cohort}: kilichoonekana (mstari kamili) na kilichokadiriwa (vistari)`,
    observed: 'Kilichoonekana',
    fitted: 'Kilichokadiriwa',
    figures: 'Takwimu za chati',
    period: 'Usajili upya',
    atRisk: 'Bado wako hatarini',
    fittedAt: 'Imekadiriwa tarehe',
    activityH: 'Makundi ya matumizi (BG/BB)',
    activityLead: 'Wateja hurudi kwenye huduma mara ngapi, kwa mwezi walioitumia kwa mara ya kwanza: modeli ya BG/BB ya matumizi ya kila siku na kuacha ambayo CRM hukadiria.',
    activityNone: 'Bado hakuna makundi ya matumizi yaliyokadiriwa katika tarehe hizi.',
    cohort: 'Kundi',
    subscribers: 'Wateja',
    dailyActivity: 'Uwezekano wa kuitumia siku fulani (akiwa bado mtumiaji)',
    dailyDropout: 'Uwezekano wa kuacha baada ya siku ya matumizi',
    repeatTitle: (cohort: string) => `Wateja kwa idadi ya siku zaidi za matumizi, ${cohort}: kilichoonekana (nguzo) na kilichokadiriwa (mstari)`,
    repeatDays: 'Siku zaidi za matumizi',
  },
);

type Txt = ReturnType<typeof T>;

interface Interval95 {
  estimate: number;
  low: number | null;
  high: number | null;
}
interface Quality {
  n: number;
  logLikelihood: number;
  usedPooled: boolean;
  reasons?: string[];
  thin?: string[];
  shrunkTowardPooled: boolean;
  converged: boolean | null;
  identified: boolean | null;
  atBound: string[];
  intervals95: Record<string, Interval95>;
}
interface SubscriptionCohort {
  serviceId: string;
  cohort: string;
  subscriptions: number;
  churned: number;
  curve: 'own' | 'pooled';
  sbg: { meanChurnPerPeriod: number };
  quality: Quality;
  observedVsFitted: { period: number; atRisk: number; observed: number; fitted: number }[];
  expectedLifetimePeriods: number;
  expectedLifetimeDays: number;
  fittedAt: string;
}
interface ActivityCohort {
  cohort: string;
  subscribers: number;
  curve: 'own' | 'pooled';
  meanDailyActivity: number;
  meanDailyDropout: number;
  quality: Quality;
  observedVsFitted: { repeatActiveDays: string; observed: number; fitted: number | null }[];
}

const yesNo = (t: Txt, v: boolean | null) => (v === null ? '–' : v ? t.yes : t.no);
const reasonText = (t: Txt, r: string) => (r === 'too_small' ? t.reason_too_small : r === 'too_young' ? t.reason_too_young : r === 'too_few_events' ? t.reason_too_few_events : r);
const cohortName = (t: Txt, cohort: string) => (cohort === 'all' ? t.allCohorts : t.cohortOf(cohort));

function curveText(t: Txt, curve: 'own' | 'pooled', q: Quality): string {
  if (curve === 'pooled') return t.curvePooled;
  return q.shrunkTowardPooled ? t.curveShrunk : t.curveOwn;
}

/** The fit's quality as a short list: size, likelihood, convergence, parameters with their intervals, and why it is pooled or thin. */
function qualityList(c: ConsoleContext, q: Quality): Html {
  const t = T(c.lang);
  const params = Object.entries(q.intervals95).map(
    ([k, v]) => html`${k} = ${num(c.lang, v.estimate, 3)}${v.low !== null && v.high !== null ? html` (${num(c.lang, v.low, 3)} – ${num(c.lang, v.high, 3)})` : null}`,
  );
  const why = q.usedPooled ? q.reasons ?? [] : q.thin ?? [];
  return html`<dl class="fit-quality">
<dt>${t.logLik}</dt><dd>${num(c.lang, q.logLikelihood, 2)}</dd>
<dt>${t.converged}</dt><dd>${yesNo(t, q.converged)}</dd>
<dt>${t.identified}</dt><dd>${yesNo(t, q.identified)}</dd>
${q.atBound.length ? html`<dt>${t.atBound}</dt><dd>${q.atBound.join(', ')}</dd>` : null}
<dt>${t.params}</dt><dd>${params.map((p, i) => html`${i ? '; ' : ''}${p}`)}</dd>
${why.length ? html`<dt>${q.usedPooled ? t.why : t.thin}</dt><dd>${why.map((r) => reasonText(t, r)).join('; ')}</dd>` : null}
</dl>`;
}

/** How far apart the two curves get, where the cohort still has subscribers at risk: the eye's test of the fit, as a number. */
function largestGap(s: SubscriptionCohort): number {
  return s.observedVsFitted.reduce((m, o) => Math.max(m, Math.abs(o.observed - o.fitted)), 0);
}

function subscriptionCohort(c: ConsoleContext, s: SubscriptionCohort, serviceName: string, i: number): Html {
  const t = T(c.lang);
  const name = cohortName(t, s.cohort);
  const rows = s.observedVsFitted.map((o) => [num(c.lang, o.period), num(c.lang, o.atRisk), pct(c.lang, o.observed), pct(c.lang, o.fitted)]);
  return html`<article class="retention-cohort" id="cohort-${s.serviceId}-${s.cohort}">
<h3>${t.cohortH(serviceName, name)}</h3>
<dl class="figures">
<dt>${t.subscriptions}</dt><dd>${num(c.lang, s.subscriptions)}</dd>
<dt>${t.churned}</dt><dd>${num(c.lang, s.churned)}</dd>
<dt>${t.churnPerPeriod}</dt><dd>${pct(c.lang, s.sbg.meanChurnPerPeriod)}</dd>
<dt>${t.lifetime}</dt><dd>${t.lifetimeValue(num(c.lang, s.expectedLifetimeDays, 1), num(c.lang, s.expectedLifetimePeriods, 1))}</dd>
<dt>${t.curve}</dt><dd>${curveText(t, s.curve, s.quality)}</dd>
<dt>${t.fittedAt}</dt><dd>${when(c.lang, s.fittedAt, c.timeZone)}</dd>
</dl>
${chart({
  id: `survival-${i}`,
  title: t.chartTitle(name),
  type: 'line',
  labels: s.observedVsFitted.map((o) => String(o.period)),
  series: [
    { label: t.observed, data: s.observedVsFitted.map((o) => o.observed), color: 'blue' },
    { label: t.fitted, data: s.observedVsFitted.map((o) => o.fitted), color: 'amber', dashed: true },
  ],
  format: 'percent',
  min: 0,
  max: 1,
})}
<details><summary>${t.figures}</summary>
${table({ caption: t.chartTitle(name), columns: [{ label: t.period, numeric: true }, { label: t.atRisk, numeric: true }, { label: t.observed, numeric: true }, { label: t.fitted, numeric: true }], rows })}
</details>
<h4>${t.quality}</h4>
<p>${t.largestGap}: ${num(c.lang, largestGap(s) * 100, 1)}</p>
${qualityList(c, s.quality)}
</article>`;
}

function activityCohorts(c: ConsoleContext, list: ActivityCohort[]): Html {
  const t = T(c.lang);
  if (list.length === 0) return html`<p class="empty">${t.activityNone}</p>`;
  const summary = table({
    caption: t.activityH,
    columns: [t.cohort, { label: t.subscribers, numeric: true }, { label: t.dailyActivity, numeric: true }, { label: t.dailyDropout, numeric: true }, t.curve],
    rows: list.map((a) => [cohortName(t, a.cohort), num(c.lang, a.subscribers), pct(c.lang, a.meanDailyActivity), pct(c.lang, a.meanDailyDropout), curveText(t, a.curve, a.quality)]),
    id: 'activity-table',
  });
  const each = list.map((a, i) => {
    const name = cohortName(t, a.cohort);
    return html`<details class="activity-cohort"><summary>${name}</summary>
${a.observedVsFitted.length
  ? html`${chart({
      id: `repeat-${i}`,
      title: t.repeatTitle(name),
      type: 'bar',
      labels: a.observedVsFitted.map((o) => o.repeatActiveDays),
      series: [
        { label: t.observed, data: a.observedVsFitted.map((o) => o.observed), color: 'blue' },
        { label: t.fitted, data: a.observedVsFitted.map((o) => o.fitted), type: 'line', color: 'amber', dashed: true },
      ],
      format: 'count',
    })}
${table({
  caption: t.repeatTitle(name),
  columns: [t.repeatDays, { label: t.observed, numeric: true }, { label: t.fitted, numeric: true }],
  rows: a.observedVsFitted.map((o) => [o.repeatActiveDays, num(c.lang, o.observed), num(c.lang, o.fitted, 1)]),
})}`
  : null}
${qualityList(c, a.quality)}
</details>`;
  });
  return html`${summary}${each}`;
}

/** GET /console/retention: survival by subscription cohort against the fitted sBG curve, and the BG/BB activity cohorts. */
export function retentionPages(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get('/retention', async (req, reply) => {
    const c = ctx(req);
    const t = T(c.lang);
    const range = rangeFrom(req.query);
    const services = deps.core.config.services;
    const service = choice(req.query, 'service', services.map((s) => s.id));
    const serviceField = field({
      name: 'service',
      label: t.service,
      type: 'select',
      value: service || '',
      options: [{ value: '', label: t.allServices }, ...services.map((s) => ({ value: s.id, label: s.name }))],
      error: service === false ? t.badService : null,
    });
    const form = rangeForm(c, range, { extra: html`<div>${serviceField}</div>` });
    const how = html`<details class="how-to-read"><summary>${t.howTitle}</summary><p>${t.how1}</p><p>${t.how2}</p><p>${t.how3}</p></details>`;
    if (service === false) return sendHtml(reply, page(c, { title: t.title, lead: t.lead, body: html`${form}${how}` }), 400);
    const backwards = rangeError(c.lang, range);
    if (backwards) return sendHtml(reply, page(c, { title: t.title, lead: t.lead, error: backwards, body: html`${form}${how}` }), 400);
    const run = await runReport(deps.core, 'retention', { from: range.from, to: range.to, service });
    if (run.failure) return sendHtml(reply, page(c, { title: t.title, lead: t.lead, error: run.failure.message, body: html`${form}${how}` }), 400);
    const subs = run.report.subscriptions as SubscriptionCohort[];
    const activity = run.report.activity as ActivityCohort[];
    const serviceName = (id: string) => services.find((s) => s.id === id)?.name ?? id;
    const body = html`${form}${how}
<section aria-labelledby="subs-h"><h2 id="subs-h">${t.subscriptionsH}</h2>
${subs.length ? subs.map((s, i) => subscriptionCohort(c, s, serviceName(s.serviceId), i)) : html`<p class="empty">${t.none}</p>`}
</section>
<section aria-labelledby="activity-h"><h2 id="activity-h">${t.activityH}</h2><p>${t.activityLead}</p>
${activityCohorts(c, activity)}
</section>`;
    return sendHtml(reply, page(c, { title: t.title, lead: t.lead, body }));
  });
}
