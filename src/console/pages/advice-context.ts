import type { FastifyInstance } from 'fastify';
import { ctx, sendHtml, type ConsoleContext, type ConsoleDeps } from '../context';
import { interval, num, pct } from '../format';
import { html, type Html } from '../html';
import { texts, type Lang } from '../i18n';
import { page } from '../layout';
import { chart } from '../ui/chart';
import { rangeForm, rangeFrom } from '../ui/range';
import { table } from '../ui/table';
import { datesLine, limitFrom, moreLink, queryOf, runReport } from './report-page';

const T = texts(
  {
    title: 'Advice in context',
    lead: 'Advice served outside the season, region or crop it was written for. Fix the menu (move the advice, say when it applies) or the content.',
    served: 'Served',
    outside: 'Outside its context',
    months: 'Out of season',
    regions: 'Other region',
    crops: 'Other crop',
    unknown: 'Profile unknown (region / crops)',
    advice: 'Advice',
    context: 'Applies to',
    where: 'Flow file',
    interval: '95% interval',
    caption: 'Advice served outside its context, worst first',
    chartTitle: 'Times served outside its context (the worst advice)',
    totals: (n: string, out: string, share: string) => `${n} advice served in these dates; ${out} (${share}) outside its context.`,
    none: 'No flow declares a context yet: add `context:` to content nodes (docs/advice-context.md).',
    monthsLabel: 'months',
    regionsLabel: 'regions',
    cropsLabel: 'crops',
    line: (file: string, line: string) => `${file}, line ${line}`,
    unknownNote: 'Serves to subscribers whose region or crops are not on their profile are counted as unknown, never as outside.',
  },
  {
    title: 'Ushauri kwa muktadha',
    lead: 'Ushauri uliotolewa nje ya msimu, eneo au zao ulioandikiwa. Rekebisha menyu (hamisha ushauri, sema unafaa lini) au maudhui.',
    served: 'Ulitolewa',
    outside: 'Nje ya muktadha wake',
    months: 'Nje ya msimu',
    regions: 'Eneo jingine',
    crops: 'Zao jingine',
    unknown: 'Wasifu haujulikani (eneo / mazao)',
    advice: 'Ushauri',
    context: 'Unafaa kwa',
    where: 'Faili ya menyu',
    interval: 'Kipindi cha 95%',
    caption: 'Ushauri uliotolewa nje ya muktadha wake, mbaya zaidi kwanza',
    chartTitle: 'Mara ushauri ulitolewa nje ya muktadha wake (ushauri mbaya zaidi)',
    totals: (n: string, out: string, share: string) => `Ushauri ulitolewa mara ${n} katika tarehe hizi; mara ${out} (${share}) nje ya muktadha wake.`,
    none: 'Bado hakuna menyu inayotaja muktadha: ongeza `context:` kwenye nodi za maudhui (docs/advice-context.md).',
    monthsLabel: 'miezi',
    regionsLabel: 'maeneo',
    cropsLabel: 'mazao',
    line: (file: string, line: string) => `${file}, mstari ${line}`,
    unknownNote: 'Ushauri uliotolewa kwa wateja wasio na eneo au mazao kwenye wasifu huhesabiwa kama haujulikani, kamwe si nje ya muktadha.',
  },
);

type Node = {
  flowId: string;
  nodeId: string;
  label: string;
  context: { months?: number[]; regions?: string[]; crops?: string[] } | null;
  file: string | null;
  line: number | null;
  served: number;
  outside: { any: number; months: number; regions: number; crops: number };
  share: { any: number | null };
  shareCi95: [number, number] | null;
  unknown: { region: number; crops: number };
};
type Report = { served: number; outsideAny: number; shareOutside: number | null; nodes: Node[] };

function monthNames(lang: Lang, months: number[]): string {
  const f = new Intl.DateTimeFormat(lang === 'sw' ? 'sw' : 'en-GB', { month: 'short', timeZone: 'UTC' });
  return months.map((m) => f.format(new Date(Date.UTC(2026, m - 1, 15)))).join(', ');
}

function contextText(lang: Lang, ctx: Node['context']): string {
  if (!ctx) return '–';
  const t = T(lang);
  const parts: string[] = [];
  if (ctx.months) parts.push(`${t.monthsLabel}: ${monthNames(lang, ctx.months)}`);
  if (ctx.regions) parts.push(`${t.regionsLabel}: ${ctx.regions.join(', ')}`);
  if (ctx.crops) parts.push(`${t.cropsLabel}: ${ctx.crops.join(', ')}`);
  return parts.join('; ');
}

function nodesTable(c: ConsoleContext, nodes: Node[]): Html {
  const t = T(c.lang);
  const n = (x: number) => num(c.lang, x);
  return table({
    caption: t.caption,
    id: 'context-table',
    columns: [t.advice, t.context, { label: t.served, numeric: true }, { label: t.outside, numeric: true }, { label: t.interval, numeric: true }, { label: t.months, numeric: true }, { label: t.regions, numeric: true }, { label: t.crops, numeric: true }, { label: t.unknown, numeric: true }, t.where],
    rows: nodes.map((x) => [
      html`<a href="/console/flows/${x.flowId}#node-${x.nodeId}">${x.label}</a> <small><code>${x.nodeId}</code></small>`,
      contextText(c.lang, x.context),
      n(x.served),
      html`${n(x.outside.any)} <small>(${pct(c.lang, x.share.any)})</small>`,
      x.shareCi95 ? interval(c.lang, x.shareCi95[0], x.shareCi95[1]) : '–',
      n(x.outside.months),
      n(x.outside.regions),
      n(x.outside.crops),
      `${n(x.unknown.region)} / ${n(x.unknown.crops)}`,
      x.file ? t.line(x.file, x.line === null ? '?' : String(x.line)) : '–',
    ]),
  });
}

/** /console/context: advice served outside its declared context (the `context` report), worst first. */
export function adviceContextPages(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get('/context', async (req, reply) => {
    const c = ctx(req);
    const t = T(c.lang);
    const q = queryOf(req.query);
    const range = rangeFrom(req.query);
    const limit = limitFrom(c.lang, q.limit, 100);
    const run = await runReport(deps.core, 'context', { ...range, limit: limit.value });
    const r = run.report as unknown as Report | null;
    let figures: Html | null = null;
    if (r) {
      const worst = r.nodes.filter((x) => x.outside.any > 0).slice(0, 10);
      figures =
        r.nodes.length === 0
          ? html`<p class="empty">${t.none}</p>`
          : html`${datesLine(c.lang, run.report!)}<p>${t.totals(num(c.lang, r.served), num(c.lang, r.outsideAny), pct(c.lang, r.shareOutside))}</p>
${worst.length > 0
  ? chart({
      id: 'context-chart',
      title: t.chartTitle,
      type: 'bar',
      horizontal: true,
      format: 'count',
      labels: worst.map((x) => x.label),
      series: [
        { label: t.months, data: worst.map((x) => x.outside.months), color: 'amber'},
        { label: t.regions, data: worst.map((x) => x.outside.regions), color: 'purple'},
        { label: t.crops, data: worst.map((x) => x.outside.crops), color: 'red'},
      ],
    })
  : null}
${nodesTable(c, r.nodes)}
${moreLink(c.lang, '/context', q, r.nodes.length, limit.value)}
<p><small>${t.unknownNote}</small></p>`;
    }
    const body = html`${rangeForm(c, range)}
${run.failure ? html`<p class="error" role="alert">${run.failure.message}</p>` : null}
${limit.error ? html`<p class="error" role="alert">${limit.error}</p>` : null}
${figures}`;
    return sendHtml(reply, page(c, { title: t.title, lead: t.lead, body }), run.failure || limit.error ? 400 : 200);
  });
}
