import type { FastifyInstance } from 'fastify';
import { NOT_SET } from '../../reports/profile-groups';
import { USAGE_DIMS } from '../../reports/usage';
import { ProfileSchema } from '../../subscribers/profile-schema';
import { ctx, sendHtml, type ConsoleContext, type ConsoleDeps } from '../context';
import { num, pct } from '../format';
import { html, type Html } from '../html';
import { texts } from '../i18n';
import { page } from '../layout';
import { chart } from '../ui/chart';
import { field } from '../ui/field';
import { rangeForm, rangeFrom } from '../ui/range';
import { table } from '../ui/table';
import { choice, rangeError, runReport } from './report-page';

/** Content rows the reach-index table shows (the busiest first), and the chart the busiest of those. */
const CONTENT_LIMIT = 20;
const CHART_CONTENT = 10;

const T = texts(
  {
    title: 'Demography vs usage',
    lead: 'Who uses the service, and which groups does each piece of content reach? Usage and reach by a profile field such as gender, age band or region.',
    by: 'Usage by',
    field: 'Reach by',
    badChoice: 'Choose a field from the list.',
    ageBand: 'age band',
    f_region: 'region',
    f_crop: 'main crop',
    f_crops: 'crops grown',
    f_language: 'language',
    f_operator: 'mobile network',
    f_gender: 'gender',
    f_district: 'district',
    usageH: (by: string) => `Usage by ${by}`,
    usageChart: (by: string) => `Active and registered subscribers by ${by}`,
    group: 'Group',
    active: 'Active subscribers',
    registered: 'Registered subscribers',
    reachRate: 'Share of registered who were active',
    sessions: 'Sessions',
    contentRate: 'Sessions reaching content',
    stuckRate: 'Stuck sessions',
    usageNone: 'No usage in these dates.',
    activeTotal: (n: string) => `Active subscribers in these dates: ${n}. Active means a session, or content sent to them outside one; registered is as of the last daily count.`,
    reachH: (f: string) => `Which content reaches which ${f}`,
    reachWhat: 'The reach index compares a group\'s share of the visits that reached a piece of content with its share of all visits. 1 means the group reaches that content exactly as often as its size says; 2 means twice as often; 0.5 half as often. Below 1 with the whole 95% interval below 1, the content is failing that group.',
    reachFew: '"few" marks fewer than 10 visits: too few to read the index.',
    groupsH: 'The groups',
    visits: 'Visits',
    shareOfVisits: 'Share of all visits',
    failingH: 'Content failing a group (whole interval below 1)',
    failingNone: 'No content is clearly failing any group in these dates.',
    content: 'Content',
    reached: 'Visits that reached it',
    index: 'Reach index',
    interval: '95% interval',
    few: 'few',
    contentNone: 'No content was reached in these dates.',
    truncated: (shown: string, all: string) => `The ${shown} most-reached of ${all} pieces of content.`,
    reachChart: (f: string) => `Reach index of the most-reached content by ${f} (1 = in proportion)`,
    notSet: '(not set)',
  },
  {
    title: 'Demografia na matumizi',
    lead: 'Nani anatumia huduma, na kila maudhui yanafikia makundi gani? Matumizi na ufikiaji kwa sehemu ya wasifu kama jinsia, kundi la umri au mkoa.',
    by: 'Matumizi kwa',
    field: 'Ufikiaji kwa',
    badChoice: 'Chagua sehemu kutoka kwenye orodha.',
    ageBand: 'kundi la umri',
    f_region: 'mkoa',
    f_crop: 'zao kuu',
    f_crops: 'mazao yanayolimwa',
    f_language: 'lugha',
    f_operator: 'mtandao wa simu',
    f_gender: 'jinsia',
    f_district: 'wilaya',
    usageH: (by: string) => `Matumizi kwa ${by}`,
    usageChart: (by: string) => `Wateja hai na waliosajiliwa kwa ${by}`,
    group: 'Kundi',
    active: 'Wateja hai',
    registered: 'Wateja waliosajiliwa',
    reachRate: 'Sehemu ya waliosajiliwa waliokuwa hai',
    sessions: 'Vipindi',
    contentRate: 'Vipindi vilivyofikia maudhui',
    stuckRate: 'Vipindi vilivyokwama',
    usageNone: 'Hakuna matumizi katika tarehe hizi.',
    activeTotal: (n: string) => `Wateja hai katika tarehe hizi: ${n}. Hai maana yake kipindi, au maudhui waliyotumiwa nje ya kipindi; waliosajiliwa ni kwa hesabu ya mwisho ya kila siku.`,
    reachH: (f: string) => `Maudhui yapi yanafikia ${f} gani`,
    reachWhat: 'Kielelezo cha ufikiaji hulinganisha sehemu ya kundi katika ziara zilizofikia maudhui fulani na sehemu yake katika ziara zote. 1 maana yake kundi linafikia maudhui hayo sawa na ukubwa wake; 2 maana yake mara mbili zaidi; 0.5 nusu tu. Chini ya 1 na kipindi chote cha 95% chini ya 1, maudhui yanalishinda kundi hilo.',
    reachFew: '"chache" inaonyesha ziara chini ya 10: chache mno kusoma kielelezo.',
    groupsH: 'Makundi',
    visits: 'Ziara',
    shareOfVisits: 'Sehemu ya ziara zote',
    failingH: 'Maudhui yanayoshinda kundi (kipindi chote chini ya 1)',
    failingNone: 'Hakuna maudhui yanayoshinda kundi lolote waziwazi katika tarehe hizi.',
    content: 'Maudhui',
    reached: 'Ziara zilizoyafikia',
    index: 'Kielelezo cha ufikiaji',
    interval: 'Kipindi cha 95%',
    few: 'chache',
    contentNone: 'Hakuna maudhui yaliyofikiwa katika tarehe hizi.',
    truncated: (shown: string, all: string) => `Maudhui ${shown} yaliyofikiwa zaidi kati ya ${all}.`,
    reachChart: (f: string) => `Kielelezo cha ufikiaji cha maudhui yaliyofikiwa zaidi kwa ${f} (1 = sawa na ukubwa)`,
    notSet: '(haijawekwa)',
  },
);
type Txt = ReturnType<typeof T>;

interface UsageRow {
  value: string;
  activeSubscribers: number;
  registeredSubscribers: number | null;
  reachRate: number | null;
  sessions: number;
  contentRate: number | null;
  stuckRate: number | null;
}
interface ReachGroup {
  value: string;
  reached: number;
  reachIndex: number | null;
  interval: [number, number] | null;
  fewReached?: boolean;
}
interface ContentRow {
  flowId: string;
  nodeId: string;
  topic: string | null;
  reached: number;
  groups: ReachGroup[];
}
interface Failing extends ReachGroup {
  flowId: string;
  nodeId: string;
  topic: string | null;
}

/** The profile fields a page can group by: enumerations, lists and short texts (not numbers or dates), and age bands from the birth year. */
function groupableFields(schema: ProfileSchema): string[] {
  const names = schema.names().filter((n) => ['enum', 'list', 'string'].includes(schema.field(n)?.type ?? ''));
  return schema.field('birthYear')?.type === 'integer' ? [...names, 'ageBand'] : names;
}

const groupName = (t: Txt, v: string) => (v === NOT_SET ? t.notSet : v);
/** A field's name in the reader's language: the usual ones are translated, a field of the operator's own configuration shows as configured. */
const fieldName = (t: Txt, f: string) => (f === 'ageBand' ? t.ageBand : ((t as unknown as Record<string, string>)[`f_${f}`] ?? f));
const contentName = (r: { flowId: string; nodeId: string; topic: string | null }) => `${r.topic ?? r.nodeId} (${r.flowId} › ${r.nodeId})`;
const indexText = (c: ConsoleContext, g: ReachGroup) => `${num(c.lang, g.reachIndex, 2)}${g.fewReached ? ` (${T(c.lang).few})` : ''}`;
const intervalText = (c: ConsoleContext, i: [number, number] | null) => (i ? `${num(c.lang, i[0], 2)} – ${num(c.lang, i[1], 2)}` : '–');

function usageSection(c: ConsoleContext, body: Record<string, unknown>): Html {
  const t = T(c.lang);
  const by = fieldName(t, body.by as string);
  const rows = body.values as UsageRow[];
  return html`<section aria-labelledby="usage-h"><h2 id="usage-h">${t.usageH(by)}</h2>
<p>${t.activeTotal(num(c.lang, body.activeSubscribers as number))}</p>
${rows.length
  ? chart({
      id: 'usage-chart',
      title: t.usageChart(by),
      type: 'bar',
      labels: rows.map((r) => groupName(t, r.value)),
      series: [
        { label: t.active, data: rows.map((r) => r.activeSubscribers), color: 'blue' },
        { label: t.registered, data: rows.map((r) => r.registeredSubscribers), color: 'grey' },
      ],
      format: 'count',
    })
  : null}
${table({
  id: 'usage-table',
  empty: t.usageNone,
  columns: [t.group, { label: t.active, numeric: true }, { label: t.registered, numeric: true }, { label: t.reachRate, numeric: true }, { label: t.sessions, numeric: true }, { label: t.contentRate, numeric: true }, { label: t.stuckRate, numeric: true }],
  rows: rows.map((r) => [groupName(t, r.value), num(c.lang, r.activeSubscribers), num(c.lang, r.registeredSubscribers), pct(c.lang, r.reachRate), num(c.lang, r.sessions), pct(c.lang, r.contentRate), pct(c.lang, r.stuckRate)]),
})}
</section>`;
}

function reachSection(c: ConsoleContext, body: Record<string, unknown>): Html {
  const t = T(c.lang);
  const f = fieldName(t, body.field as string);
  const groups = body.groups as { value: string; activeSubscribers: number; visits: number; shareOfVisits: number | null }[];
  const content = body.content as ContentRow[];
  const failing = body.failing as Failing[];
  const top = content.slice(0, CHART_CONTENT);
  return html`<section aria-labelledby="reach-h"><h2 id="reach-h">${t.reachH(f)}</h2>
<p id="reach-what">${t.reachWhat} ${t.reachFew}</p>
<h3>${t.groupsH}</h3>
${table({
  id: 'groups-table',
  columns: [t.group, { label: t.active, numeric: true }, { label: t.visits, numeric: true }, { label: t.shareOfVisits, numeric: true }],
  rows: groups.map((g) => [groupName(t, g.value), num(c.lang, g.activeSubscribers), num(c.lang, g.visits), pct(c.lang, g.shareOfVisits)]),
})}
<h3>${t.failingH}</h3>
${table({
  id: 'failing-table',
  empty: t.failingNone,
  columns: [t.content, t.group, { label: t.reached, numeric: true }, { label: t.index, numeric: true }, { label: t.interval, numeric: true }],
  rows: failing.map((r) => [contentName(r), groupName(t, r.value), num(c.lang, r.reached), indexText(c, r), intervalText(c, r.interval)]),
})}
<h3>${t.content}</h3>
${content.length
  ? chart({
      id: 'reach-chart',
      title: t.reachChart(f),
      type: 'bar',
      horizontal: true,
      // Topics repeat across crops (three menus have Planting): the node says which.
      labels: top.map((r) => `${r.topic ?? r.nodeId} (${r.nodeId})`),
      series: groups.map((g) => ({ label: groupName(t, g.value), data: top.map((r) => r.groups.find((x) => x.value === g.value)?.reachIndex ?? null) })),
      format: 'count',
    })
  : null}
${body.contentTruncated ? html`<p>${t.truncated(num(c.lang, content.length), num(c.lang, body.contentTruncated as number))}</p>` : null}
${table({
  caption: t.reachChart(f),
  id: 'reach-table',
  empty: t.contentNone,
  columns: [t.content, { label: t.reached, numeric: true }, ...groups.map((g) => ({ label: `${groupName(t, g.value)}: ${t.index} (${t.interval})`, numeric: true }))],
  rows: content.map((r) => [
    contentName(r),
    num(c.lang, r.reached),
    ...groups.map((g) => {
      const x = r.groups.find((y) => y.value === g.value);
      return x ? `${indexText(c, x)} (${intervalText(c, x.interval)})` : '–';
    }),
  ]),
})}
</section>`;
}

/** GET /console/demography: the usage report by a profile field or age band, and content-demography's reach index by a field. */
export function demographyPages(app: FastifyInstance, deps: ConsoleDeps): void {
  const schema = new ProfileSchema(deps.core.config.profile ?? { fields: {} });
  const fields = groupableFields(schema);
  const usageBy = [...new Set([...USAGE_DIMS, ...fields])];
  const preferred = fields.includes('gender') ? 'gender' : fields[0];

  app.get('/demography', async (req, reply) => {
    const c = ctx(req);
    const t = T(c.lang);
    const range = rangeFrom(req.query);
    const by = choice(req.query, 'by', usageBy);
    const reachBy = choice(req.query, 'field', fields);
    const usageValue = by || preferred || 'region';
    const fieldValue = reachBy || preferred;
    const option = (v: string) => ({ value: v, label: fieldName(t, v) });
    const extra = html`<div>${field({ name: 'by', label: t.by, type: 'select', value: usageValue, options: usageBy.map(option), error: by === false ? t.badChoice : null })}</div>
${fields.length ? html`<div>${field({ name: 'field', label: t.field, type: 'select', value: fieldValue ?? '', options: fields.map(option), error: reachBy === false ? t.badChoice : null })}</div>` : null}`;
    const form = rangeForm(c, range, { extra });
    if (by === false || reachBy === false) return sendHtml(reply, page(c, { title: t.title, lead: t.lead, body: form }), 400);
    const backwards = rangeError(c.lang, range);
    if (backwards) return sendHtml(reply, page(c, { title: t.title, lead: t.lead, error: backwards, body: form }), 400);
    const q = { from: range.from, to: range.to };
    const usage = await runReport(deps.core, 'usage', { ...q, by: usageValue });
    const reach = fieldValue ? await runReport(deps.core, 'content-demography', { ...q, field: fieldValue, limit: CONTENT_LIMIT }) : null;
    const error = usage.failure?.message ?? reach?.failure?.message ?? null;
    if (error) return sendHtml(reply, page(c, { title: t.title, lead: t.lead, error, body: form }), 400);
    const body = html`${form}
${usage.report ? usageSection(c, usage.report) : null}
${reach?.report ? reachSection(c, reach.report) : null}`;
    return sendHtml(reply, page(c, { title: t.title, lead: t.lead, body }));
  });
}
