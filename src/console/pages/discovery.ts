import type { FastifyInstance } from 'fastify';
import { allowedDiscoveryDims, DISCOVERY_DIMS } from '../../reports/discovery-sought';
import { ctx, sendHtml, type ConsoleDeps, type ConsoleContext } from '../context';
import { interval, num, pct } from '../format';
import { html, type Html } from '../html';
import { texts, type Lang } from '../i18n';
import { page } from '../layout';
import { chart } from '../ui/chart';
import { field } from '../ui/field';
import { rangeForm, rangeFrom } from '../ui/range';
import { table } from '../ui/table';
import { datesLine, queryOf, runReport } from './report-page';

const T = texts(
  {
    title: 'Discovery',
    lead: 'Of the people who came looking for a piece of advice, how many found it on the first go?',
    by: 'Break down by',
    byNone: 'Nothing (all together)',
    byBad: (list: string) => `Choose a breakdown from the list (${list}).`,
    overall: 'Found at the first go',
    overallSub: (range: string) => `95% interval ${range}`,
    episodes: 'Visits (episodes)',
    episodesSub: (open: string) => `${open} still going on, counted once they end`,
    retried: 'Found after retries',
    notFound: 'Not found',
    found: 'Found at all',
    episodeNote: 'A visit is one subscriber’s sessions less than 30 minutes apart, on any channel; what it ends on is what they were looking for. First go: the first session got there with no back, home, wrong key or timeout.',
    groupsTitle: (by: string) => `First-go rate by ${by.toLowerCase()}`,
    chartRate: 'First-go rate',
    chartInterval: '95% interval',
    group: 'Group',
    firstGo: 'First go',
    rate: 'First-go rate',
    range95: '95% interval',
    noGroups: 'No finished visits in these dates.',
    wide: 'With few visits the interval is wide: do not read much into a difference the intervals do not separate.',
    notFoundNode: (n: string) => `${n} visits found no advice at all, so they have no advice to be listed under.`,
    stuckTitle: 'Stuck sessions and why',
    stuckLead: (stuck: string, rate: string, sessions: string) => `${stuck} of ${sessions} sessions got stuck (${rate}): they ended without advice after a wrong key, a timeout or going round in circles.`,
    signals: 'What went wrong',
    signal: 'Sign of trouble',
    ends: 'How sessions ended',
    end: 'Ending',
    sessions: 'Sessions',
    unknown: 'unknown',
  },
  {
    title: 'Ugunduzi',
    lead: 'Kati ya watu waliokuja kutafuta ushauri fulani, ni wangapi waliupata mara ya kwanza?',
    by: 'Gawanya kwa',
    byNone: 'Bila kugawanya (wote pamoja)',
    byBad: (list: string) => `Chagua mgawanyo kutoka kwenye orodha (${list}).`,
    overall: 'Walioupata mara ya kwanza',
    overallSub: (range: string) => `kipimo cha uhakika 95% ${range}`,
    episodes: 'Ziara',
    episodesSub: (open: string) => `${open} bado zinaendelea, zitahesabiwa zikiisha`,
    retried: 'Walioupata baada ya kujaribu tena',
    notFound: 'Hawakuupata',
    found: 'Walioupata kwa jumla',
    episodeNote: 'Ziara ni vipindi vya mteja mmoja vilivyopishana kwa chini ya dakika 30, kwa njia yoyote; kile inachoishia nacho ndicho alichokuwa akitafuta. Mara ya kwanza: kipindi cha kwanza kilifika bila kurudi nyuma, kwenda mwanzo, kubonyeza kitufe kisicho sahihi wala muda kuisha.',
    groupsTitle: (by: string) => `Kiwango cha kupata mara ya kwanza kwa ${by.toLowerCase()}`,
    chartRate: 'Kiwango cha mara ya kwanza',
    chartInterval: 'Kipimo cha uhakika 95%',
    group: 'Kundi',
    firstGo: 'Mara ya kwanza',
    rate: 'Kiwango cha mara ya kwanza',
    range95: 'Kipimo cha uhakika 95%',
    noGroups: 'Hakuna ziara zilizoisha katika tarehe hizi.',
    wide: 'Ziara zikiwa chache kipimo ni kipana: usitegemee sana tofauti ambayo vipimo havitenganishi.',
    notFoundNode: (n: string) => `Ziara ${n} hazikupata ushauri wowote, kwa hiyo hazina ushauri wa kuorodheshwa chini yake.`,
    stuckTitle: 'Vipindi vilivyokwama na sababu',
    stuckLead: (stuck: string, rate: string, sessions: string) => `Vipindi ${stuck} kati ya ${sessions} vilikwama (${rate}): viliisha bila ushauri baada ya kitufe kisicho sahihi, muda kuisha au kuzunguka.`,
    signals: 'Kilichoharibika',
    signal: 'Dalili ya tatizo',
    ends: 'Jinsi vipindi vilivyoisha',
    end: 'Mwisho',
    sessions: 'Vipindi',
    unknown: 'haijulikani',
  },
);

/** Names of the report's codes (breakdowns, groups, signals, endings) in each language. */
const NAMES: Record<Lang, Record<'dims' | 'fields' | 'signalNames' | 'endNames' | 'cohorts' | 'channelNames' | 'languageNames', Record<string, string>>> = {
  en: {
    dims: { flow: 'Menu (flow)', channel: 'Channel', language: 'Language', cohort: 'New or established subscriber', node: 'Advice sought' },
    fields: { gender: 'Gender', birthYear: 'Year of birth', ageBand: 'Age band', region: 'Region', district: 'District', crops: 'Crops', farmSize: 'Farm size', operator: 'Operator' },
    signalNames: { invalid: 'wrong key pressed', max_invalid: 'too many wrong keys, session closed', long_menus: 'long time in menus', revisits: 'came back to the same menu', backs: 'went back', deep_exit: 'left deep in the menus' },
    endNames: { completed: 'finished the menu', user_exit: 'left (hung up or chose exit)', timeout: 'timed out', dropped: 'dropped by the network', error: 'error', max_invalid: 'too many wrong keys' },
    cohorts: { first_week: 'in their first week of use', established: 'past their first week' },
    channelNames: { ussd: 'USSD', ivr: 'Voice (IVR)', sms: 'SMS' },
    languageNames: { en: 'English', sw: 'Kiswahili' },
  },
  sw: {
    dims: { flow: 'Menyu', channel: 'Njia', language: 'Lugha', cohort: 'Mteja mpya au wa zamani', node: 'Ushauri uliotafutwa' },
    fields: { gender: 'Jinsia', birthYear: 'Mwaka wa kuzaliwa', ageBand: 'Kundi la umri', region: 'Eneo', district: 'Wilaya', crops: 'Mazao', farmSize: 'Ukubwa wa shamba', operator: 'Mtandao' },
    signalNames: { invalid: 'kitufe kisicho sahihi', max_invalid: 'vitufe visivyo sahihi mara nyingi, kipindi kilifungwa', long_menus: 'muda mrefu kwenye menyu', revisits: 'alirudi kwenye menyu ileile', backs: 'alirudi nyuma', deep_exit: 'aliondoka ndani kabisa ya menyu' },
    endNames: { completed: 'alimaliza menyu', user_exit: 'aliondoka (alikata au alichagua kutoka)', timeout: 'muda uliisha', dropped: 'ilikatwa na mtandao', error: 'hitilafu', max_invalid: 'vitufe visivyo sahihi mara nyingi' },
    cohorts: { first_week: 'katika wiki yao ya kwanza ya matumizi', established: 'baada ya wiki yao ya kwanza' },
    channelNames: { ussd: 'USSD', ivr: 'Sauti (IVR)', sms: 'SMS' },
    languageNames: { en: 'Kiingereza', sw: 'Kiswahili' },
  },
};

type Counts = {
  episodes: number;
  foundFirstGo: number;
  foundAfterRetries: number;
  notFound: number;
  firstGoRate: number | null;
  firstGoInterval95: [number, number] | null;
  foundRate: number | null;
};
type Group = Counts & { value?: string; flowId?: string; nodeId?: string; topic?: string };
type Sought = Counts & { openEpisodes: number; groups?: Group[]; notFoundEpisodes?: number };
type Discovery = { soughtContent: Sought; sessions: number; stuckSessions: number; stuckRate: number | null; endReasons: Record<string, number>; frictionSignals: Record<string, number> };

/** The breakdowns the select offers: the report's own, then the configured profile fields. */
function dimensions(deps: ConsoleDeps): { allowed: string[] | null; offered: string[] } {
  const fields = deps.core.config.profile?.fields;
  const allowed = allowedDiscoveryDims(fields && typeof fields === 'object' ? Object.keys(fields) : null);
  return { allowed, offered: allowed ?? [...DISCOVERY_DIMS] };
}

function dimName(lang: Lang, by: string): string {
  const n = NAMES[lang];
  return n.dims[by] ?? n.fields[by] ?? by;
}

function groupName(lang: Lang, by: string, g: Group): string {
  const t = T(lang);
  // Topics repeat across branches (Planting under maize and under beans): the node id tells them apart.
  if (by === 'node') return g.topic ? `${g.topic} (${g.nodeId})` : `${g.flowId} / ${g.nodeId}`;
  const v = g.value ?? '';
  if (v === 'unknown' || v === '') return t.unknown;
  if (by === 'cohort') return NAMES[lang].cohorts[v] ?? v;
  if (by === 'channel') return NAMES[lang].channelNames[v] ?? v;
  if (by === 'language') return NAMES[lang].languageNames[v] ?? v;
  return v;
}

function cards(lang: Lang, s: Sought): Html {
  const t = T(lang);
  const iv = s.firstGoInterval95;
  const card = (label: string, figure: string, sub?: string) =>
    html`<article class="card"><span class="sub">${label}</span><strong class="figure">${figure}</strong>${sub ? html`<span class="sub">${sub}</span>` : null}</article>`;
  return html`<div class="cards">
${card(t.overall, pct(lang, s.firstGoRate), t.overallSub(interval(lang, iv?.[0], iv?.[1])))}
${card(t.episodes, num(lang, s.episodes), t.episodesSub(num(lang, s.openEpisodes)))}
${card(t.retried, num(lang, s.foundAfterRetries))}
${card(t.notFound, num(lang, s.notFound))}
</div>
<p><small>${t.episodeNote}</small></p>`;
}

function breakdown(lang: Lang, by: string, s: Sought): Html {
  const t = T(lang);
  const groups = s.groups ?? [];
  const title = t.groupsTitle(dimName(lang, by));
  const names = groups.map((g) => groupName(lang, by, g));
  const rows = groups.map((g, i) => [
    names[i],
    num(lang, g.episodes),
    num(lang, g.foundFirstGo),
    pct(lang, g.firstGoRate),
    interval(lang, g.firstGoInterval95?.[0], g.firstGoInterval95?.[1]),
    num(lang, g.foundAfterRetries),
    num(lang, g.notFound),
    pct(lang, g.foundRate),
  ]);
  const shown = groups.slice(0, 30);
  return html`<section id="breakdown"><h2>${title}</h2>
${groups.length > 0
  ? chart({
      id: 'discovery-groups',
      title,
      type: 'bar',
      horizontal: by === 'node',
      labels: names.slice(0, 30),
      format: 'percent',
      min: 0,
      max: 1,
      series: [
        { label: t.chartRate, data: shown.map((g) => g.firstGoRate), color: 'blue' },
        { label: t.chartInterval, data: shown.map((g) => g.firstGoInterval95), color: 'grey' },
      ],
    })
  : null}
${table({
  caption: title,
  columns: [t.group, { label: t.episodes, numeric: true }, { label: t.firstGo, numeric: true }, { label: t.rate, numeric: true }, { label: t.range95, numeric: true }, { label: t.retried, numeric: true }, { label: t.notFound, numeric: true }, { label: t.found, numeric: true }],
  rows,
  empty: t.noGroups,
  id: 'discovery-groups-table',
})}
${by === 'node' && s.notFoundEpisodes ? html`<p><small>${t.notFoundNode(num(lang, s.notFoundEpisodes))}</small></p>` : null}
<p><small>${t.wide}</small></p>
</section>`;
}

function stuckSessions(lang: Lang, d: Discovery): Html {
  const t = T(lang);
  const signals = Object.entries(d.frictionSignals).sort((a, b) => b[1] - a[1]);
  const ends = Object.entries(d.endReasons).sort((a, b) => b[1] - a[1]);
  return html`<section id="stuck-sessions"><h2>${t.stuckTitle}</h2>
<p>${t.stuckLead(num(lang, d.stuckSessions), pct(lang, d.stuckRate), num(lang, d.sessions))}</p>
<div class="grid">
<div>${table({ caption: t.signals, columns: [t.signal, { label: t.sessions, numeric: true }], rows: signals.map(([k, v]) => [NAMES[lang].signalNames[k] ?? k, num(lang, v)]), empty: t.noGroups })}</div>
<div>${table({ caption: t.ends, columns: [t.end, { label: t.sessions, numeric: true }], rows: ends.map(([k, v]) => [NAMES[lang].endNames[k] ?? k, num(lang, v)]), empty: t.noGroups })}</div>
</div>
</section>`;
}

async function discoveryPage(c: ConsoleContext, deps: ConsoleDeps, query: unknown): Promise<{ body: Html; status: number }> {
  const t = T(c.lang);
  const q = queryOf(query);
  const range = rangeFrom(query);
  const { allowed, offered } = dimensions(deps);
  const by = q.by;
  let byError: string | null = null;
  if (by !== undefined && (allowed ? !allowed.includes(by) : !/^[A-Za-z][A-Za-z0-9_]{0,39}$/.test(by))) byError = t.byBad(offered.map((d) => dimName(c.lang, d)).join(', '));
  const options = [{ value: '', label: t.byNone }, ...offered.map((d) => ({ value: d, label: dimName(c.lang, d) }))];
  if (by && !byError && !offered.includes(by)) options.push({ value: by, label: dimName(c.lang, by) });
  const run = byError ? { report: null, failure: null } : await runReport(deps.core, 'discovery', { ...range, by });
  if (run.failure?.code === 'INVALID_DIMENSION') byError = t.byBad(offered.map((d) => dimName(c.lang, d)).join(', '));
  const form = rangeForm(c, range, { channel: true, extra: html`<div>${field({ name: 'by', label: t.by, type: 'select', value: byError ? by : (by ?? ''), options, error: byError })}</div>` });
  const status = byError || run.failure ? 400 : 200;
  const d = run.report as unknown as Discovery | null;
  const body = html`${form}
${run.failure && !byError ? html`<p class="error" role="alert">${run.failure.message}</p>` : null}
${d ? html`${datesLine(c.lang, run.report!)}${cards(c.lang, d.soughtContent)}${by ? breakdown(c.lang, by, d.soughtContent) : null}${stuckSessions(c.lang, d)}` : null}`;
  return { body, status };
}

/** /console/discovery: first-go discovery of the content sought, its breakdowns, and stuck sessions with why. */
export function discoveryPages(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get('/discovery', async (req, reply) => {
    const c = ctx(req);
    const t = T(c.lang);
    const { body, status } = await discoveryPage(c, deps, req.query);
    return sendHtml(reply, page(c, { title: t.title, lead: t.lead, body }), status);
  });
}
