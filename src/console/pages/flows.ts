import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Flow } from '../../engine/types';
import { AppError, notFound } from '../../lib/errors';
import type { ReportQuery } from '../../reports';
import { ctx, sendHtml, type ConsoleContext, type ConsoleDeps } from '../context';
import { day, interval, num, pct } from '../format';
import { html, type Html } from '../html';
import { texts } from '../i18n';
import { page } from '../layout';
import { rangeForm, rangeFrom, type RangeValues } from '../ui/range';
import { table } from '../ui/table';
import { acceptedReplies, runSimulation, simHistory, simInputError, simLanguage, simulatorSection, type SimRun } from './flows/simulator';
import { flowLang, flowTree, levelLegend, nodeFigures, nodeTitle, type FunnelFlow, type FunnelNode } from './flows/tree';

const T = texts(
  {
    title: 'Flows',
    editTexts: 'Edit the screens\' texts',
    lead: 'Every USSD and voice menu: how many sessions it had and whether callers found what they came for at the first go.',
    flow: 'Flow',
    code: 'USSD code',
    dial: 'Dial or call',
    voiceSuffix: '(voice)',
    shownDates: (from: string, to: string) => `Figures from ${from} to ${to}.`,
    voice: 'Voice number',
    languages: 'Languages',
    sessions: 'Sessions',
    reachedContent: 'Reached content',
    firstGo: 'Found at the first go',
    interval: '95% interval',
    episodes: 'Visits (episodes)',
    none: 'No flows are loaded.',
    listCaption: 'Flows in these dates',
    firstGoNote: 'First go: a subscriber\'s visit (their sessions close together) found the content it ended on in its first session, with no back, home, invalid reply or timeout on the way.',
    treeTitle: 'Menu tree with its funnel',
    treeNote: 'Each screen with its text, where its options lead, and what callers did there in these dates.',
    summary: 'Summary',
    otherTitle: 'Other screens',
    otherNote: 'Screens outside the menu tree: the language menu, the offer to continue a dropped session, and screens reached only by SMS keyword or a call.',
    screen: 'Screen',
    figures: 'Figures',
    languageMenu: 'Language menu',
    resumeMenu: 'Continue where you left off?',
    removed: (id: string) => `${id} (no longer in the flow)`,
    back: 'All flows',
    badRange: 'These dates cannot be shown:',
    noFlow: (id: string) => `There is no flow "${id}".`,
    flowLead: 'Where callers go in this menu and where they leave it; try it on the phone beside (or below) the tree.',
    suggestions: (n: number) => (n === 1 ? '1 menu suggestion' : `${n} menu suggestions`),
  },
  {
    title: 'Menyu',
    editTexts: 'Hariri maandishi ya skrini',
    lead: 'Kila menyu ya USSD na ya sauti: idadi ya vipindi vyake na kama wapigaji walipata walichotafuta mara ya kwanza.',
    flow: 'Menyu',
    code: 'Msimbo wa USSD',
    dial: 'Piga',
    voiceSuffix: '(sauti)',
    shownDates: (from: string, to: string) => `Takwimu kuanzia ${from} hadi ${to}.`,
    voice: 'Nambari ya sauti',
    languages: 'Lugha',
    sessions: 'Vipindi',
    reachedContent: 'Walifikia maudhui',
    firstGo: 'Walipata mara ya kwanza',
    interval: 'Kipindi cha uhakika 95%',
    episodes: 'Ziara',
    none: 'Hakuna menyu zilizopakiwa.',
    listCaption: 'Menyu katika tarehe hizi',
    firstGoNote: 'Mara ya kwanza: ziara ya mteja (vipindi vyake vilivyokaribiana) ilipata maudhui iliyoishia nayo katika kipindi chake cha kwanza, bila kurudi nyuma, kwenda mwanzo, jibu batili wala muda kuisha.',
    treeTitle: 'Mti wa menyu na takwimu zake',
    treeNote: 'Kila skrini na maandishi yake, chaguo zake zinakoelekea, na walichofanya wapigaji hapo katika tarehe hizi.',
    summary: 'Muhtasari',
    otherTitle: 'Skrini nyingine',
    otherNote: 'Skrini zilizo nje ya mti wa menyu: menyu ya lugha, ombi la kuendelea na kipindi kilichokatika, na skrini zinazofikiwa kwa neno la SMS au simu tu.',
    screen: 'Skrini',
    figures: 'Takwimu',
    languageMenu: 'Menyu ya lugha',
    resumeMenu: 'Endelea ulipoachia?',
    removed: (id: string) => `${id} (haipo tena kwenye menyu)`,
    back: 'Menyu zote',
    badRange: 'Tarehe hizi haziwezi kuonyeshwa:',
    noFlow: (id: string) => `Hakuna menyu "${id}".`,
    flowLead: 'Wapigaji wanakoenda kwenye menyu hii na wanapoiachia; ijaribu kwenye simu iliyo kando (au chini) ya mti.',
    suggestions: (n: number) => (n === 1 ? 'Pendekezo 1 la menyu' : `Mapendekezo ${n} ya menyu`),
  },
);

/** The funnel report as the pages read it: its flows and the local days it covered. */
type FunnelReport = { flows: FunnelFlow[]; range?: { days?: { from: string; to: string } } };

/** One group of the discovery report broken down by flow. */
interface DiscoveryGroup {
  value: string;
  episodes: number;
  firstGoRate: number | null;
  firstGoInterval95: [number, number] | null;
}

/** The report query of a page's range: the same from/to/channel the API takes. */
/** The menu-recommendations page's query for one flow and the same dates. */
function suggestionsQuery(flowId: string, r: RangeValues): string {
  const p = new URLSearchParams({ flow: flowId });
  for (const [k, v] of Object.entries(r)) if (typeof v === 'string') p.set(k, v);
  return p.toString();
}

function reportQuery(r: RangeValues, extra: Partial<ReportQuery> = {}): ReportQuery {
  return { from: r.from, to: r.to, channel: r.channel, ...extra };
}

/** Runs the page's reports; a range the reports refuse comes back as the message to show (status 400). */
async function figures<T>(fn: () => Promise<T>): Promise<{ value: T | null; error: string | null }> {
  try {
    return { value: await fn(), error: null };
  } catch (err) {
    if (err instanceof AppError && err.status === 400) return { value: null, error: err.message };
    throw err;
  }
}

function flowName(c: ConsoleContext, flow: Flow): string {
  const lang = flowLang(c, flow);
  return flow.title?.[lang] ?? flow.title?.[flow.defaultLanguage] ?? flow.id;
}

function dialCell(c: ConsoleContext, flow: Flow): Html | string {
  const t = T(c.lang);
  const parts = [...flow.entry.ussd.map((u) => html`<code>${u}</code>`), ...flow.entry.ivr.map((n) => html`${n} <small>${t.voiceSuffix}</small>`)];
  return parts.length ? html`${parts.map((p, i) => html`${i ? html`<br>` : null}${p}`)}` : '–';
}

/** The dates the reports covered (the default range when the form was left empty). */
function datesShown(c: ConsoleContext, report: FunnelReport | undefined): Html | null {
  const d = report?.range?.days;
  return d ? html`<p class="dates-shown"><small>${T(c.lang).shownDates(day(c.lang, d.from), day(c.lang, d.to))}</small></p>` : null;
}

function firstGoCell(c: ConsoleContext, g: DiscoveryGroup | undefined): Html {
  if (!g || g.episodes === 0) return html`–`;
  return html`${pct(c.lang, g.firstGoRate)} <small>(${interval(c.lang, g.firstGoInterval95?.[0], g.firstGoInterval95?.[1])})</small>`;
}

/** GET /console/flows, GET /console/flows/:id and POST /console/flows/:id/simulate. */
export function flowsPages(app: FastifyInstance, deps: ConsoleDeps): void {
  const { core } = deps;
  const limits = { maxChars: core.config.ussd.maxChars, maxInvalid: core.config.ussd.maxInvalid };

  app.get('/flows', async (req, reply) => {
    const c = ctx(req);
    const t = T(c.lang);
    const range = rangeFrom(req.query);
    const res = await figures(async () => ({
      funnel: (await core.reports.run('funnel', reportQuery(range))) as FunnelReport,
      discovery: (await core.reports.run('discovery', reportQuery(range, { by: 'flow' }))) as { soughtContent: { groups?: DiscoveryGroup[] } },
    }));
    const funnel = new Map((res.value?.funnel.flows ?? []).map((f) => [f.flowId, f]));
    const firstGo = new Map((res.value?.discovery.soughtContent.groups ?? []).map((g) => [g.value, g]));
    const rows = core.flows.all().map((flow) => {
      const f = funnel.get(flow.id);
      const g = firstGo.get(flow.id);
      return [
        html`<a href="/console/flows/${encodeURIComponent(flow.id)}">${flowName(c, flow)}</a><br><small><code>${flow.id}</code></small>`,
        dialCell(c, flow),
        flow.languages.map((l) => flow.languageNames[l] ?? l).join(', '),
        num(c.lang, f?.sessions ?? 0),
        f && f.sessions > 0 ? html`${pct(c.lang, f.contentSessions / f.sessions)} <small>(${num(c.lang, f.contentSessions)})</small>` : '–',
        firstGoCell(c, g),
        num(c.lang, g?.episodes ?? 0),
      ];
    });
    const body = html`${rangeForm(c, range, { channel: true })}
${datesShown(c, res.value?.funnel)}
${table({
  caption: t.listCaption,
  columns: [t.flow, t.dial, t.languages, { label: t.sessions, numeric: true }, { label: t.reachedContent, numeric: true }, { label: `${t.firstGo} (${t.interval})`, numeric: true }, { label: t.episodes, numeric: true }],
  rows,
  empty: t.none,
  id: 'flows-table',
})}
<p><small>${t.firstGoNote}</small></p>`;
    return sendHtml(reply, page(c, { title: t.title, lead: t.lead, body, error: res.error ? `${t.badRange} ${res.error}` : null }), res.error ? 400 : 200);
  });

  const flowOf = (req: FastifyRequest): Flow => {
    const id = (req.params as { id: string }).id;
    const flow = core.flows.byId(id);
    if (!flow) throw notFound('FLOW_NOT_FOUND', T(ctx(req).lang).noFlow(id.slice(0, 60)));
    return flow;
  };

  /** The flow page with its tree and the simulator at `run`; status 400 when the simulator's reply or the range was refused. */
  const flowPage = async (req: FastifyRequest, reply: FastifyReply, flow: Flow, range: RangeValues, run: SimRun, simError: string | null): Promise<FastifyReply> => {
    const c = ctx(req);
    const t = T(c.lang);
    const res = await figures(async () => ({
      funnel: (await core.reports.run('funnel', reportQuery(range, { flow: flow.id }))) as FunnelReport,
      discovery: (await core.reports.run('discovery', reportQuery(range, { by: 'flow' }))) as { soughtContent: { groups?: DiscoveryGroup[] } },
      suggestions: ((await core.reports.run('menu-recommendations', reportQuery(range, { flow: flow.id }))).suggestions as unknown[]).length,
    }));
    const f = res.value?.funnel.flows.find((x) => x.flowId === flow.id);
    const g = res.value?.discovery.soughtContent.groups?.find((x) => x.value === flow.id);
    const byNode = new Map<string, FunnelNode>((f?.nodes ?? []).map((n) => [n.nodeId, n]));
    const { tree, shown } = flowTree(c, flow, byNode);
    const lang = flowLang(c, flow);
    const otherIds = [...new Set([...Object.keys(flow.nodes).filter((id) => !shown.has(id)), ...[...byNode.keys()].filter((id) => !shown.has(id))])];
    const otherName = (id: string) =>
      id === '_language' ? t.languageMenu : id === '_resume' ? t.resumeMenu : flow.nodes[id] ? nodeTitle(flow, flow.nodes[id], lang) : t.removed(id);
    const others = otherIds.map((id) => {
      const n = byNode.get(id);
      return [html`<span id="node-${id}">${otherName(id)}</span>`, nodeFigures(c, n)];
    });
    const range4sim = { from: range.from, to: range.to, channel: range.channel };
    const summary = html`<section aria-labelledby="flow-summary"><h2 id="flow-summary">${t.summary}</h2>
<div class="cards">
<article class="card"><span class="sub">${t.sessions}</span><span class="figure">${num(c.lang, f?.sessions ?? 0)}</span></article>
<article class="card"><span class="sub">${t.reachedContent}</span><span class="figure">${f && f.sessions > 0 ? pct(c.lang, f.contentSessions / f.sessions) : '–'}</span><span class="sub">${num(c.lang, f?.contentSessions ?? 0)}</span></article>
<article class="card"><span class="sub">${t.firstGo}</span><span class="figure">${g && g.episodes > 0 ? pct(c.lang, g.firstGoRate) : '–'}</span><span class="sub">${g && g.episodes > 0 ? html`${t.interval}: ${interval(c.lang, g.firstGoInterval95?.[0], g.firstGoInterval95?.[1])}; ${t.episodes}: ${num(c.lang, g.episodes)}` : null}</span></article>
</div>
<p><small>${t.code}: ${flow.entry.ussd.length ? html`<code>${flow.entry.ussd.join(', ')}</code>` : '–'} · ${t.voice}: ${flow.entry.ivr.length ? flow.entry.ivr.join(', ') : '–'} · ${t.languages}: ${flow.languages.map((l) => flow.languageNames[l] ?? l).join(', ')}</small></p>
</section>`;
    const body = html`<p><a href="/console/flows">← ${t.back}</a>${c.can('editor') ? html` · <a href="/console/flows/${flow.id}/texts">${t.editTexts}</a>` : null}${res.value?.suggestions ? html` · <a id="menu-suggestions" href="/console/menu-recommendations?${suggestionsQuery(flow.id, range)}">${t.suggestions(res.value.suggestions)}</a>` : null}</p>
${rangeForm(c, range, { channel: true })}
${datesShown(c, res.value?.funnel)}
${summary}
<div class="flow-layout">
<section class="flow-tree-section" aria-labelledby="flow-tree-title">
<h2 id="flow-tree-title">${t.treeTitle}</h2>
<p><small>${t.treeNote}</small></p>
${levelLegend(c)}
${tree}
${others.length ? html`<h2 id="flow-other-title">${t.otherTitle}</h2><p><small>${t.otherNote}</small></p>${table({ columns: [t.screen, t.figures], rows: others })}` : null}
</section>
${simulatorSection(c, flow, run, { maxChars: limits.maxChars, error: simError, range: range4sim, focus: run.history.length > 0 || !!simError })}
</div>`;
    const status = simError || res.error ? 400 : 200;
    return sendHtml(reply, page(c, { title: flowName(c, flow), lead: t.flowLead, body, error: res.error ? `${t.badRange} ${res.error}` : null }), status);
  };

  app.get('/flows/:id', async (req, reply) => {
    const c = ctx(req);
    const flow = flowOf(req);
    const q = (req.query ?? {}) as Record<string, unknown>;
    const history = simHistory(q.h);
    const error = simInputError(c.lang, history);
    const language = simLanguage(flow, q.lang, c.lang);
    const run = runSimulation(flow, error ? acceptedReplies(history) : history, language, limits);
    return flowPage(req, reply, flow, rangeFrom(req.query), run, error);
  });

  // The simulator hop: htmx swaps the simulator; without JavaScript, back to the page with the session in its address.
  app.post('/flows/:id/simulate', async (req, reply) => {
    const c = ctx(req);
    const flow = flowOf(req);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const history = simHistory(body.h);
    const language = simLanguage(flow, body.lang, c.lang);
    const error = simInputError(c.lang, history);
    // Refused replies are left out: the phone stays on the screen the accepted ones reach.
    const run = runSimulation(flow, error ? acceptedReplies(history) : history, language, limits);
    const range = rangeFrom(body);
    if (req.headers['hx-request']) {
      return sendHtml(reply, simulatorSection(c, flow, run, { maxChars: limits.maxChars, error, range: { from: range.from, to: range.to, channel: range.channel }, focus: true }), error ? 400 : 200);
    }
    if (error) return flowPage(req, reply, flow, range, run, error);
    const qs = new URLSearchParams();
    if (range.from) qs.set('from', range.from);
    if (range.to) qs.set('to', range.to);
    if (range.channel) qs.set('channel', range.channel);
    qs.set('lang', run.language);
    for (const h of run.history) qs.append('h', h);
    return reply.redirect(`/console/flows/${encodeURIComponent(flow.id)}?${qs.toString()}#simulator`, 303);
  });
}
