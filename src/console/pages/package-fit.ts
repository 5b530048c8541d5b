import type { FastifyInstance } from 'fastify';
import { ctx, sendHtml, type ConsoleContext, type ConsoleDeps } from '../context';
import { day, interval, num, pct } from '../format';
import { html, type Html } from '../html';
import { texts, type Lang } from '../i18n';
import { page } from '../layout';
import { chart } from '../ui/chart';
import { rangeForm, rangeFrom } from '../ui/range';
import { table } from '../ui/table';
import { datesLine, runReport } from './report-page';

const T = texts(
  {
    title: 'Package fit',
    lead: 'For each kind of user, which package (daily, weekly, monthly) keeps them subscribed longest.',
    asOf: (d: string) => `As of ${d} (the last daily count in these dates).`,
    none: 'No daily count in these dates yet: it is taken by the first CRM pass of each day.',
    patterns: (k: string): string => ({ daily: 'Daily users', weekly: 'Weekly users', seasonal: 'Seasonal users', lapsed: 'Lapsed users' } as Record<string, string>)[k] ?? k,
    patternHelp: (k: string): string => ({
      daily: 'active on at least half the days of their history',
      weekly: 'active less often, but at least one day in ten',
      seasonal: 'active less than one day in ten',
      lapsed: 'no activity in the last days before the subscription ended (or before today)',
    } as Record<string, string>)[k] ?? k,
    periods: (k: string): string => ({ daily: 'Daily package', weekly: 'Weekly package', monthly: 'Monthly package' } as Record<string, string>)[k] ?? k,
    package: 'Package',
    subscriptions: 'Subscriptions',
    ended: 'Ended',
    live: 'Still subscribed',
    kept: (d: number) => `Still subscribed after ${d} days`,
    median: 'Median days subscribed',
    mean: 'Mean days within the first 90',
    best: (p: string, d: number, by: string) => `Keeps them longest: ${p} (at ${d} days, ahead by ${by}).`,
    notEnough: 'Not enough data to name the best package yet.',
    noRuns: 'No subscriptions of this kind.',
    notReached: 'not reached',
    notYet: 'not followed that long yet',
    chartTitle: 'Still subscribed after 30 days, by kind of user and package (with 95% interval)',
  },
  {
    title: 'Kifurushi kinachofaa',
    lead: 'Kwa kila aina ya mtumiaji, ni kifurushi kipi (cha siku, wiki, mwezi) kinachowabakiza muda mrefu zaidi.',
    asOf: (d: string) => `Hali ya tarehe ${d} (hesabu ya mwisho ya kila siku katika tarehe hizi).`,
    none: 'Bado hakuna hesabu ya kila siku katika tarehe hizi: huchukuliwa na uchambuzi wa kwanza wa CRM wa kila siku.',
    patterns: (k: string): string => ({ daily: 'Watumiaji wa kila siku', weekly: 'Watumiaji wa kila wiki', seasonal: 'Watumiaji wa msimu', lapsed: 'Walioacha kutumia' } as Record<string, string>)[k] ?? k,
    patternHelp: (k: string): string => ({
      daily: 'walitumia angalau nusu ya siku za historia yao',
      weekly: 'walitumia mara chache zaidi, lakini angalau siku moja kati ya kumi',
      seasonal: 'walitumia chini ya siku moja kati ya kumi',
      lapsed: 'hawakutumia katika siku za mwisho kabla ya usajili kuisha (au kabla ya leo)',
    } as Record<string, string>)[k] ?? k,
    periods: (k: string): string => ({ daily: 'Kifurushi cha siku', weekly: 'Kifurushi cha wiki', monthly: 'Kifurushi cha mwezi' } as Record<string, string>)[k] ?? k,
    package: 'Kifurushi',
    subscriptions: 'Usajili',
    ended: 'Uliisha',
    live: 'Bado wamesajiliwa',
    kept: (d: number) => `Bado wamesajiliwa baada ya siku ${d}`,
    median: 'Wastani wa kati wa siku za usajili',
    mean: 'Wastani wa siku ndani ya 90 za kwanza',
    best: (p: string, d: number, by: string) => `Kinawabakiza muda mrefu zaidi: ${p} (katika siku ${d}, mbele kwa ${by}).`,
    notEnough: 'Bado hakuna takwimu za kutosha kutaja kifurushi bora.',
    noRuns: 'Hakuna usajili wa aina hii.',
    notReached: 'haijafikiwa',
    notYet: 'bado hawajafuatiliwa muda huo',
    chartTitle: 'Bado wamesajiliwa baada ya siku 30, kwa aina ya mtumiaji na kifurushi (na kipindi cha 95%)',
  },
);

type Point = { survival: number; ci95: [number, number]; atRisk: number } | null;
type Pkg = { period: string; subscriptions: number; ended: number; stillSubscribed: number; survival: Record<string, Point>; medianDays: number | null; meanDaysWithin90: number | null };
type Pattern = { pattern: string; subscriptions: number; packages: Pkg[]; best: { period: string | null; horizonDays: number | null; by?: number } };
type Report = { asOf: string | null; patterns: Pattern[]; horizonsDays: number[] };

const point = (lang: Lang, p: Point | undefined): string => (p ? `${pct(lang, p.survival)} (${interval(lang, p.ci95[0], p.ci95[1])})` : T(lang).notYet);

function patternSection(c: ConsoleContext, p: Pattern, horizons: number[]): Html {
  const t = T(c.lang);
  const name = t.patterns(p.pattern);
  const best = p.best.period ? t.best(t.periods(p.best.period), p.best.horizonDays ?? 0, pct(c.lang, p.best.by ?? null)) : t.notEnough;
  return html`<article id="pattern-${p.pattern}">
<h2>${name}</h2>
<p><small>${t.patternHelp(p.pattern)}</small></p>
${p.packages.length === 0
  ? html`<p class="empty">${t.noRuns}</p>`
  : html`<p><strong>${best}</strong></p>
${table({
  caption: name,
  id: `fit-${p.pattern}`,
  columns: [t.package, { label: t.subscriptions, numeric: true }, { label: t.ended, numeric: true }, { label: t.live, numeric: true }, ...horizons.map((h) => ({ label: t.kept(h), numeric: true })), { label: t.median, numeric: true }, { label: t.mean, numeric: true }],
  rows: p.packages.map((k) => [
    t.periods(k.period),
    num(c.lang, k.subscriptions),
    num(c.lang, k.ended),
    num(c.lang, k.stillSubscribed),
    ...horizons.map((h) => point(c.lang, k.survival[`day${h}`])),
    k.medianDays === null ? t.notReached : num(c.lang, k.medianDays),
    k.meanDaysWithin90 === null ? t.notYet : num(c.lang, k.meanDaysWithin90, 1),
  ]),
})}`}
</article>`;
}

/** /console/package-fit: which package period keeps each usage pattern longest (the `package-fit` report). */
export function packageFitPages(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get('/package-fit', async (req, reply) => {
    const c = ctx(req);
    const t = T(c.lang);
    const range = rangeFrom(req.query);
    const run = await runReport(deps.core, 'package-fit', range);
    const r = run.report as unknown as Report | null;
    let figures: Html | null = null;
    if (r) {
      const shown = r.patterns.filter((p) => p.packages.length > 0);
      const periods = ['daily', 'weekly', 'monthly'].filter((per) => shown.some((p) => p.packages.some((k) => k.period === per)));
      const at30 = (p: Pattern, per: string) => p.packages.find((k) => k.period === per)?.survival.day30 ?? null;
      figures = r.asOf
        ? html`${datesLine(c.lang, run.report!)}<p>${t.asOf(day(c.lang, r.asOf))}</p>
${shown.length > 0
  ? chart({
      id: 'package-fit-chart',
      title: t.chartTitle,
      type: 'bar',
      format: 'percent',
      min: 0,
      max: 1,
      labels: shown.map((p) => t.patterns(p.pattern)),
      series: periods.flatMap((per) => [
        { label: t.periods(per), data: shown.map((p) => at30(p, per)?.survival ?? null) },
        { label: `${t.periods(per)}: 95%`, data: shown.map((p) => at30(p, per)?.ci95 ?? null), color: 'grey' as const },
      ]),
    })
  : null}
${r.patterns.map((p) => patternSection(c, p, r.horizonsDays))}`
        : html`<p class="empty">${t.none}</p>`;
    }
    const body = html`${rangeForm(c, range)}
${run.failure ? html`<p class="error" role="alert">${run.failure.message}</p>` : null}
${figures}`;
    return sendHtml(reply, page(c, { title: t.title, lead: t.lead, body }), run.failure ? 400 : 200);
  });
}
