import type { FastifyInstance } from 'fastify';
import { Days } from '../../crm/days';
import { AppError } from '../../lib/errors';
import { ctx, sendHtml, type ConsoleContext, type ConsoleDeps } from '../context';
import { day, interval, num, pct, when } from '../format';
import { html, type Html, type Part } from '../html';
import { texts } from '../i18n';
import { page } from '../layout';
import { chart } from '../ui/chart';
import { rangeForm, rangeFrom } from '../ui/range';
import { table } from '../ui/table';
import { nextCronRun } from './crm-next-pass';
import { overviewFigures, overviewRanges, riskNow, type DayRange, type KindFigures, type Money, type OverviewFigures } from './overview-figures';

const T = texts(
  {
    title: 'Overview',
    lead: (from: string, to: string, n: number) => `How the service did from ${from} to ${to}, against the ${n} days before.`,
    badRange: 'The start date is after the end date: choose a start on or before the end.',
    tooLong: 'These dates cannot be shown: choose a range of at most 3,660 days.',
    glance: 'This range at a glance',
    sessions: 'Sessions',
    sessionsSub: (share: string) => `${share} of them reached content.`,
    firstGo: 'Found at the first go',
    firstGoSub: (range: string, episodes: string) => `95% sure it lies between ${range}; from ${episodes} searches.`,
    openEpisodes: (n: string) => `${n} searches are still going on: they count once they end.`,
    stuck: 'Stuck subscribers',
    stuckSub: 'Kept failing to find content in this range.',
    passive: 'Paying, not using',
    passiveSub: (asOf: string) => `Live subscriptions charged but not using the service, as of ${asOf}.`,
    atStake: 'Monthly revenue at stake',
    noSnapshot: 'No snapshot in this range yet: the first CRM pass of each day takes one.',
    lapsing: 'Lapsing',
    lapsingSub: 'Subscriptions found with failing renewals or fading use in this range.',
    lapseNow: (n: string, of: string, at: string) => `${n} of ${of} live subscriptions are at lapse risk now (scored ${at}).`,
    churned: 'Churned',
    churnedSub: 'Subscriptions cancelled or expired by someone who had used the service.',
    delivered: 'Interventions delivered',
    deliveredSub: (treated: string) => `Reached, of ${treated} subscribers chosen for one (only those whose outcome window has closed).`,
    pending: (n: string) => `${n} interventions are still inside their outcome window: not counted yet.`,
    upliftHead: 'Change against the holdout group (95% interval):',
    uplift: (kind: string, aim: string, change: string, range: string) => `${kind}, ${aim}: ${change} (${range})`,
    noInterventions: 'No intervention has finished its outcome window in this range.',
    noUplift: (kind: string, aim: string) => `${kind}, ${aim}: no comparison yet (the holdout group has no closed outcome window)`,
    seeDiscovery: 'See discovery',
    seeStuck: 'See stuck subscribers',
    seePaying: 'See paying vs using',
    seeRisk: 'See risk',
    seeRetention: 'See retention',
    seeInterventions: 'See interventions and experiments',
    up: (change: string, prev: string, n: number) => `▲ ${change} more than the ${n} days before (${prev})`,
    down: (change: string, prev: string, n: number) => `▼ ${change} fewer than the ${n} days before (${prev})`,
    upPoints: (change: string, prev: string, n: number) => `▲ ${change} points above the ${n} days before (${prev})`,
    downPoints: (change: string, prev: string, n: number) => `▼ ${change} points below the ${n} days before (${prev})`,
    same: (prev: string, n: number) => `= the same as the ${n} days before (${prev})`,
    noPrevious: (n: number) => `No figure for the ${n} days before.`,
    points: (change: string) => `${change} points`,
    daily: 'Day by day',
    dailySessions: 'Sessions per day',
    dailyPassive: 'Subscriptions paying but not using, per day',
    showTable: 'The figures of the chart',
    dayCol: 'Day',
    sideBySide: 'The figures side by side',
    figure: 'Figure',
    thisRange: (from: string, to: string) => `${from} – ${to}`,
    change: 'Change',
    passPast: (at: string) => `Findings, snapshots and interventions are as of the last CRM pass, ${at}.`,
    noPass: (at: string) => `No CRM pass yet: run at ${at}. Stuck, paying-not-using, lapsing, churned and intervention figures appear after it.`,
    noPassOff: 'No CRM pass yet, and scheduled passes are off: an operator runs one with "vasgw detect". Stuck, paying-not-using, lapsing, churned and intervention figures appear after it.',
    kind: (k: string) => ({ education_sms: 'Education SMS', voice_guidance: 'Voice guidance', nudge: 'Nudge', save: 'Save offer', winback: 'Win-back', save_call: 'Save call' })[k] ?? k,
    aim: (o: string) => ({ reachedContent: 'reached content', returned: 'came back', renewed: 'renewed' })[o] ?? o,
  },
  {
    title: 'Muhtasari',
    lead: (from: string, to: string, n: number) => `Jinsi huduma ilivyoenda kuanzia ${from} hadi ${to}, ikilinganishwa na siku ${n} zilizotangulia.`,
    badRange: 'Tarehe ya kuanzia iko baada ya tarehe ya mwisho: chagua tarehe ya kuanzia iliyo kabla ya ya mwisho au siku hiyo hiyo.',
    tooLong: 'Tarehe hizi haziwezi kuonyeshwa: chagua kipindi cha siku 3,660 au chache.',
    glance: 'Kipindi hiki kwa ufupi',
    sessions: 'Vipindi',
    sessionsSub: (share: string) => `${share} kati yake vilifikia maudhui.`,
    firstGo: 'Walipata mara ya kwanza',
    firstGoSub: (range: string, episodes: string) => `Kwa uhakika wa 95% kiko kati ya ${range}; kutoka kwa utafutaji ${episodes}.`,
    openEpisodes: (n: string) => `Utafutaji ${n} bado unaendelea: utahesabiwa ukimalizika.`,
    stuck: 'Wateja waliokwama',
    stuckSub: 'Walishindwa mara kwa mara kupata maudhui katika kipindi hiki.',
    passive: 'Wanaolipa bila kutumia',
    passiveSub: (asOf: string) => `Usajili hai unaotozwa lakini hautumii huduma, kufikia ${asOf}.`,
    atStake: 'Mapato ya mwezi yaliyo hatarini',
    noSnapshot: 'Bado hakuna picha ya hali katika kipindi hiki: uchambuzi wa kwanza wa CRM wa kila siku huichukua.',
    lapsing: 'Wanaoelekea kukatika',
    lapsingSub: 'Usajili uliopatikana na malipo yanayoshindwa au matumizi yanayofifia katika kipindi hiki.',
    lapseNow: (n: string, of: string, at: string) => `Usajili ${n} kati ya ${of} ulio hai uko hatarini kukatika sasa (ulipimwa ${at}).`,
    churned: 'Walioondoka',
    churnedSub: 'Usajili uliositishwa au kuisha wa watu waliokuwa wameitumia huduma.',
    delivered: 'Hatua zilizowafikia',
    deliveredSub: (treated: string) => `Waliofikiwa, kati ya wateja ${treated} waliochaguliwa (zile tu ambazo muda wa kupima matokeo umekwisha).`,
    pending: (n: string) => `Hatua ${n} bado ziko ndani ya muda wa kupima matokeo: hazijahesabiwa.`,
    upliftHead: 'Tofauti dhidi ya kundi la udhibiti (kiwango cha uhakika 95%):',
    uplift: (kind: string, aim: string, change: string, range: string) => `${kind}, ${aim}: ${change} (${range})`,
    noInterventions: 'Hakuna hatua iliyomaliza muda wake wa kupima matokeo katika kipindi hiki.',
    noUplift: (kind: string, aim: string) => `${kind}, ${aim}: bado hakuna ulinganisho (kundi la udhibiti halina muda wa matokeo uliokwisha)`,
    seeDiscovery: 'Tazama ugunduzi',
    seeStuck: 'Tazama waliokwama',
    seePaying: 'Tazama wanaolipa dhidi ya wanaotumia',
    seeRisk: 'Tazama hatari',
    seeRetention: 'Tazama kubaki',
    seeInterventions: 'Tazama hatua na majaribio',
    up: (change: string, prev: string, n: number) => `▲ ${change} zaidi ya siku ${n} zilizotangulia (${prev})`,
    down: (change: string, prev: string, n: number) => `▼ ${change} pungufu ya siku ${n} zilizotangulia (${prev})`,
    upPoints: (change: string, prev: string, n: number) => `▲ pointi ${change} juu ya siku ${n} zilizotangulia (${prev})`,
    downPoints: (change: string, prev: string, n: number) => `▼ pointi ${change} chini ya siku ${n} zilizotangulia (${prev})`,
    same: (prev: string, n: number) => `= sawa na siku ${n} zilizotangulia (${prev})`,
    noPrevious: (n: number) => `Hakuna takwimu ya siku ${n} zilizotangulia.`,
    points: (change: string) => `pointi ${change}`,
    daily: 'Siku kwa siku',
    dailySessions: 'Vipindi kwa siku',
    dailyPassive: 'Usajili unaolipa bila kutumia, kwa siku',
    showTable: 'Takwimu za chati',
    dayCol: 'Siku',
    sideBySide: 'Takwimu kando kwa kando',
    figure: 'Kipimo',
    thisRange: (from: string, to: string) => `${from} – ${to}`,
    change: 'Mabadiliko',
    passPast: (at: string) => `Matokeo, picha za hali na hatua ni kama ya uchambuzi wa mwisho wa CRM, ${at}.`,
    noPass: (at: string) => `Bado hakuna uchambuzi wa CRM: utaendeshwa ${at}. Takwimu za waliokwama, wanaolipa bila kutumia, wanaoelekea kukatika, walioondoka na hatua zitaonekana baada yake.`,
    noPassOff: 'Bado hakuna uchambuzi wa CRM, na uchambuzi wa ratiba umezimwa: mwendeshaji huendesha mmoja kwa "vasgw detect". Takwimu za waliokwama, wanaolipa bila kutumia, wanaoelekea kukatika, walioondoka na hatua zitaonekana baada yake.',
    kind: (k: string) => ({ education_sms: 'SMS ya mafunzo', voice_guidance: 'Mwongozo kwa simu', nudge: 'Ukumbusho', save: 'Juhudi za kuokoa', winback: 'Kuwarudisha', save_call: 'Simu ya kuokoa' })[k] ?? k,
    aim: (o: string) => ({ reachedContent: 'walifikia maudhui', returned: 'walirudi', renewed: 'walilipia tena' })[o] ?? o,
  },
);

type Text = ReturnType<typeof T>;

/** A figure with its exact value beside the formatted one (tests and scripts read `value`). */
const data = (id: string, value: number | null, shown: string): Html => html`<data id="${id}" value="${value === null ? '' : String(value)}">${shown}</data>`;

/** The card's comparison line: arrow, change and the previous figure; `better` colours it. */
function trend(c: ConsoleContext, t: Text, now: number | null, prev: number | null, n: number, opts: { rate?: boolean; better?: 'up' | 'down' } = {}): Html {
  if (now === null || prev === null) return html`<p class="trend sub">${t.noPrevious(n)}</p>`;
  const shownPrev = opts.rate ? pct(c.lang, prev) : num(c.lang, prev);
  const diff = now - prev;
  if (Math.abs(diff) < 1e-9) return html`<p class="trend sub">${t.same(shownPrev, n)}</p>`;
  const good = opts.better ? (diff > 0) === (opts.better === 'up') : null;
  const cls = good === null ? 'badge' : good ? 'badge good' : 'badge bad';
  const size = opts.rate ? num(c.lang, Math.abs(diff) * 100, 1) : num(c.lang, Math.abs(diff));
  const text = opts.rate ? (diff > 0 ? t.upPoints : t.downPoints)(size, shownPrev, n) : (diff > 0 ? t.up : t.down)(size, shownPrev, n);
  return html`<p class="trend"><span class="${cls}">${text}</span></p>`;
}

function card(p: { id: string; title: string; href: string; link: string; figure: Html; trend: Part; body?: Part }): Html {
  return html`<article class="card" id="card-${p.id}" aria-labelledby="card-${p.id}-h">
<h3 id="card-${p.id}-h">${p.title}</h3>
<p class="figure">${p.figure}</p>
${p.trend}
${p.body ?? null}
<p><a href="/console${p.href}">${p.link}</a></p>
</article>`;
}

const money = (c: ConsoleContext, m: Money[]) => (m.length === 0 ? num(c.lang, 0) : m.map((x) => `${x.currency} ${num(c.lang, x.amount, 2)}`).join(', '));
const signed = (c: ConsoleContext, share: number | null) => (share === null ? '–' : `${share > 0 ? '+' : share < 0 ? '−' : ''}${num(c.lang, Math.abs(share) * 100, 1)}`);

function upliftList(c: ConsoleContext, t: Text, kinds: KindFigures[]): Html {
  if (kinds.length === 0) return html`<p class="sub">${t.noInterventions}</p>`;
  const items = kinds.map((k) => {
    if (k.uplift === null) return html`<li>${t.noUplift(t.kind(k.kind), t.aim(k.outcome))}</li>`;
    const range = k.ci95 ? `${signed(c, k.ci95[0])} … ${signed(c, k.ci95[1])}` : '–';
    return html`<li>${t.uplift(t.kind(k.kind), t.aim(k.outcome), t.points(signed(c, k.uplift)), range)}</li>`;
  });
  return html`<p class="sub">${t.upliftHead}</p><ul class="sub uplifts">${items}</ul>`;
}

function cards(c: ConsoleContext, t: Text, now: OverviewFigures, prev: OverviewFigures, n: number, risk: Awaited<ReturnType<typeof riskNow>>): Html {
  const L = c.lang;
  const passiveKnown = now.passive.asOf !== null;
  return html`<div class="cards">
${card({
  id: 'sessions',
  title: t.sessions,
  href: '/discovery',
  link: t.seeDiscovery,
  figure: data('now-sessions', now.sessions, num(L, now.sessions)),
  trend: trend(c, t, now.sessions, prev.sessions, n),
  body: html`<p class="sub">${t.sessionsSub(pct(L, now.contentRate))}</p>${now.dailySessions.length > 1 ? chart({ id: 'chart-sessions', title: t.dailySessions, type: 'bar', labels: now.dailySessions.map((d) => day(L, d.day)), series: [{ label: t.sessions, data: now.dailySessions.map((d) => d.sessions) }], format: 'count' }) : null}`,
})}
${card({
  id: 'first-go',
  title: t.firstGo,
  href: '/discovery',
  link: t.seeDiscovery,
  figure: data('now-first-go', now.firstGo.rate, pct(L, now.firstGo.rate)),
  trend: trend(c, t, now.firstGo.rate, prev.firstGo.rate, n, { rate: true, better: 'up' }),
  body: html`<p class="sub">${t.firstGoSub(interval(L, now.firstGo.ci95?.[0], now.firstGo.ci95?.[1]), num(L, now.firstGo.episodes))}</p>
${now.firstGo.openEpisodes > 0 ? html`<p class="sub pending">${t.openEpisodes(num(L, now.firstGo.openEpisodes))}</p>` : null}`,
})}
${card({
  id: 'stuck',
  title: t.stuck,
  href: '/stuck',
  link: t.seeStuck,
  figure: data('now-stuck', now.stuck, num(L, now.stuck)),
  trend: trend(c, t, now.stuck, prev.stuck, n, { better: 'down' }),
  body: html`<p class="sub">${t.stuckSub}</p>`,
})}
${card({
  id: 'passive',
  title: t.passive,
  href: '/paying-vs-using',
  link: t.seePaying,
  figure: data('now-passive', passiveKnown ? now.passive.subscribers : null, passiveKnown ? num(L, now.passive.subscribers) : '–'),
  trend: passiveKnown ? trend(c, t, now.passive.subscribers, prev.passive.asOf === null ? null : prev.passive.subscribers, n, { better: 'down' }) : null,
  body: passiveKnown
    ? html`<p class="sub">${t.passiveSub(day(L, now.passive.asOf))}</p>
<p>${t.atStake}: <strong>${now.passive.revenueAtStake.map((m) => html`${data(`now-revenue-${m.currency}`, m.amount, `${m.currency} ${num(L, m.amount, 2)}`)} `)}</strong></p>
${now.passive.daily.length > 1 ? chart({ id: 'chart-passive', title: t.dailyPassive, type: 'line', labels: now.passive.daily.map((d) => day(L, d.day)), series: [{ label: t.passive, data: now.passive.daily.map((d) => d.subscribers), color: 'amber' }], format: 'count' }) : null}`
    : html`<p class="sub pending">${t.noSnapshot}</p>`,
})}
${card({
  id: 'lapsing',
  title: t.lapsing,
  href: '/risk',
  link: t.seeRisk,
  figure: data('now-lapsing', now.lapsing, num(L, now.lapsing)),
  trend: trend(c, t, now.lapsing, prev.lapsing, n, { better: 'down' }),
  body: html`<p class="sub">${t.lapsingSub}</p>${risk ? html`<p class="sub">${t.lapseNow(num(L, risk.atLapseRisk), num(L, risk.subscriptions), when(L, risk.computedAt, c.timeZone))}</p>` : null}`,
})}
${card({
  id: 'churned',
  title: t.churned,
  href: '/retention',
  link: t.seeRetention,
  figure: data('now-churned', now.churned, num(L, now.churned)),
  trend: trend(c, t, now.churned, prev.churned, n, { better: 'down' }),
  body: html`<p class="sub">${t.churnedSub}</p>`,
})}
${card({
  id: 'interventions',
  title: t.delivered,
  href: '/interventions',
  link: t.seeInterventions,
  figure: data('now-delivered', now.interventions.delivered, num(L, now.interventions.delivered)),
  trend: trend(c, t, now.interventions.delivered, prev.interventions.delivered, n),
  body: html`<p class="sub">${t.deliveredSub(num(L, now.interventions.treated))}</p>
${upliftList(c, t, now.interventions.kinds)}
${now.interventions.pendingOutcomes > 0 ? html`<p class="sub pending">${t.pending(num(L, now.interventions.pendingOutcomes))}</p>` : null}`,
})}
</div>`;
}

/** The charts' figures as tables, and every card's figure beside the previous range's. */
function tables(c: ConsoleContext, t: Text, now: OverviewFigures, prev: OverviewFigures, cur: DayRange, before: DayRange): Html {
  const L = c.lang;
  const change = (a: number | null, b: number | null) => (a === null || b === null ? '–' : `${a - b > 0 ? '+' : ''}${num(L, a - b)}`);
  const countRow = (id: string, label: string, a: number | null, b: number | null): Part[] => [label, num(L, a), data(`prev-${id}`, b, num(L, b)), change(a, b)];
  const passiveNow = now.passive.asOf === null ? null : now.passive.subscribers;
  const passivePrev = prev.passive.asOf === null ? null : prev.passive.subscribers;
  const rows: Part[][] = [
    countRow('sessions', t.sessions, now.sessions, prev.sessions),
    [t.firstGo, pct(L, now.firstGo.rate), data('prev-first-go', prev.firstGo.rate, pct(L, prev.firstGo.rate)), now.firstGo.rate === null || prev.firstGo.rate === null ? '–' : t.points(signed(c, now.firstGo.rate - prev.firstGo.rate))],
    countRow('stuck', t.stuck, now.stuck, prev.stuck),
    countRow('passive', t.passive, passiveNow, passivePrev),
    [t.atStake, now.passive.asOf === null ? '–' : money(c, now.passive.revenueAtStake), prev.passive.asOf === null ? '–' : money(c, prev.passive.revenueAtStake), ''],
    countRow('lapsing', t.lapsing, now.lapsing, prev.lapsing),
    countRow('churned', t.churned, now.churned, prev.churned),
    countRow('delivered', t.delivered, now.interventions.delivered, prev.interventions.delivered),
  ];
  const daily = (caption: string, series: { day: string; n: number }[]) =>
    series.length > 1
      ? html`<details><summary>${caption}</summary>${table({ caption, columns: [t.dayCol, { label: caption, numeric: true }], rows: series.map((d) => [day(L, d.day), num(L, d.n)]) })}</details>`
      : null;
  return html`<section aria-labelledby="side-h"><h2 id="side-h">${t.sideBySide}</h2>
${table({
  caption: t.sideBySide,
  columns: [t.figure, { label: t.thisRange(day(L, cur.from), day(L, cur.to)), numeric: true }, { label: t.thisRange(day(L, before.from), day(L, before.to)), numeric: true }, { label: t.change, numeric: true }],
  rows,
})}
</section>
<section aria-labelledby="daily-h"><h2 id="daily-h">${t.daily}</h2>
${daily(t.dailySessions, now.dailySessions.map((d) => ({ day: d.day, n: d.sessions })))}
${daily(t.dailyPassive, now.passive.daily.map((d) => ({ day: d.day, n: d.subscribers })))}
</section>`;
}

/** The CRM pass line: as of when, or when the first one will run. */
async function passLine(c: ConsoleContext, t: Text, deps: ConsoleDeps): Promise<Html> {
  const { core } = deps;
  const last = (await core.crm.lastPasses(1))[0];
  if (last) return html`<p class="sub" id="crm-pass">${t.passPast(when(c.lang, String(last.asOf), c.timeZone))}</p>`;
  const next = core.config.crm.enabled ? nextCronRun(core.config.crm.schedule, core.clock.now(), c.timeZone) : null;
  return html`<p class="notice" role="status" id="crm-pass">${next === null ? t.noPassOff : t.noPass(when(c.lang, next, c.timeZone))}</p>`;
}

/** GET /console: the overview of a range against the range before it. */
export function overviewPages(app: FastifyInstance, deps: ConsoleDeps): void {
  const days = new Days(deps.core.config.defaults.timezone);
  app.get('/', async (req, reply) => {
    const c = ctx(req);
    const t = T(c.lang);
    const asked = rangeFrom(req.query);
    const ranges = overviewRanges(asked, deps.core.clock.now(), days);
    if (!ranges) {
      return sendHtml(reply, page(c, { title: t.title, error: t.badRange, body: rangeForm(c, asked) }), 400);
    }
    const { current, previous } = ranges;
    let now: OverviewFigures;
    let prev: OverviewFigures;
    try {
      now = await overviewFigures(deps.core.reports, current);
      prev = await overviewFigures(deps.core.reports, previous);
    } catch (err) {
      // A range the reports refuse (too long, say): the form again with their reason.
      if (!(err instanceof AppError) || err.status !== 400) throw err;
      return sendHtml(reply, page(c, { title: t.title, error: t.tooLong, body: rangeForm(c, asked) }), 400);
    }
    const body = html`${rangeForm(c, { from: current.from, to: current.to })}
${await passLine(c, t, deps)}
<section aria-labelledby="glance-h"><h2 id="glance-h">${t.glance}</h2>
${cards(c, t, now, prev, current.days, await riskNow(deps.core.reports))}
</section>
${tables(c, t, now, prev, current, previous)}`;
    return sendHtml(reply, page(c, { title: t.title, lead: t.lead(day(c.lang, current.from), day(c.lang, current.to), current.days), body }));
  });
}
