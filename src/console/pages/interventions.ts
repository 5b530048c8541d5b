import type { FastifyInstance } from 'fastify';
import { INTERVENTION_KINDS } from '../../crm/interventions';
import { OUTCOME_WINDOWS, type OutcomeWindows } from '../../reports/interventions';
import { ctx, sendHtml, type ConsoleContext, type ConsoleDeps } from '../context';
import { interval, num, pct, when } from '../format';
import { html, type Html } from '../html';
import { LOCALES, texts, type Lang } from '../i18n';
import { page } from '../layout';
import { chart } from '../ui/chart';
import { field } from '../ui/field';
import { rangeForm, rangeFrom } from '../ui/range';
import { table } from '../ui/table';
import { choice, rangeError, runReport } from './report-page';

const OUTCOMES = ['returned', 'reachedContent', 'renewed'] as const;
type OutcomeKey = (typeof OUTCOMES)[number];

const T = texts(
  {
    title: 'Interventions and experiments',
    lead: 'Did the messages and calls the CRM sent work? Each kind of intervention against a randomly held-out group who got nothing: what reached people, what changed, what it cost and what it brought back.',
    howTitle: 'How to read this',
    how1: 'Everyone the CRM chose for an intervention is, at random, either sent it (treated) or held out. Comparing the two groups shows what the intervention itself changed.',
    how2: 'Effect on everyone assigned counts every treated subscriber, also those the message never reached: it is what running the intervention does. Effect on those reached divides it by the delivery rate: it judges the message itself.',
    how3: 'Each effect has a 95% interval: the true effect is very likely inside it. An interval that includes 0 cannot yet be told apart from no effect; more subscribers narrow it.',
    kind: 'Intervention',
    allKinds: 'All interventions',
    badKind: 'Choose an intervention from the list.',
    windows: 'Outcome windows',
    windowsClosed: 'Closed only (final figures)',
    windowsAll: 'All (running figures)',
    badWindows: 'Choose closed or all.',
    pendingH: 'Results still coming in',
    pendingLine: (n: string, by: string) => `Results still coming in: ${n} outcome windows close by ${by}.`,
    pendingAll: 'These are counted in the figures below as they stand today (running figures); they will still change.',
    pendingClosed: 'They are not in the figures below yet; choose "All" under outcome windows to see the running figures.',
    pendingKind: (kind: string, n: string, first: string, last: string) => `${kind}: ${n} (first closes ${first}, last ${last})`,
    noPending: 'Every outcome window in these dates has closed: the figures are final.',
    summaryH: 'Summary',
    none: 'No interventions with a closed outcome window in these dates. Choose "All" under outcome windows to see those still running.',
    treated: 'Treated',
    holdout: 'Held out',
    reached: 'Reached',
    deliveryRate: 'Delivery rate',
    interval95: '95% interval',
    cost: 'Cost of what was sent',
    retained: 'Revenue brought back',
    net: 'Revenue brought back minus cost',
    deliveryH: 'What became of the messages',
    state: 'State',
    count: 'Subscribers',
    outcomesH: 'Effect on what subscribers did (within the outcome window)',
    outcome: 'Outcome',
    rateTreated: 'Treated group',
    rateHoldout: 'Held-out group',
    itt: 'Effect on everyone assigned (points)',
    reachedEffect: 'Effect on those reached (points)',
    verdict: 'What it means',
    chartTitle: (kind: string) => `${kind}: effect with its 95% interval, in percentage points`,
    intervalSeries: '95% interval',
    estimate: 'Estimate',
    everyone: 'everyone assigned',
    onReached: 'those reached',
    revenueH: 'Revenue and cost',
    perTreated: 'Revenue per treated subscriber',
    perHoldout: 'Revenue per held-out subscriber',
    difference: 'Difference per subscriber (95% interval)',
    differenceReached: 'Difference per subscriber reached (95% interval)',
    noHoldout: 'No held-out subscribers yet: the effect cannot be measured.',
    tooFew: 'Too few subscribers to tell yet.',
    noEffect: 'Not yet distinguishable from no effect.',
    raised: 'Raised it: more than without the intervention.',
    lowered: 'Lowered it: fewer than without the intervention.',
    pays: 'Brings back more revenue than it costs.',
    costsMore: 'Costs more than the revenue it brings back.',
    revenueUnclear: 'The revenue effect is not yet distinguishable from none.',
    out_returned: 'Came back',
    out_reachedContent: 'Reached content',
    out_renewed: 'Renewed (paid)',
    k_education_sms: 'Education SMS (stuck on USSD)',
    k_voice_guidance: 'Guidance call (stuck on the voice line)',
    k_nudge: 'Nudge (paying but not using)',
    k_save: 'Save (lapsing)',
    k_winback: 'Win-back (churned)',
    k_welcome: 'Welcome (new subscribers)',
    k_onboarding_followup: 'Onboarding follow-up (stuck early)',
    k_exit_guidance: 'Guidance call (left: hard to use)',
    k_exit_offer: 'Cheaper package offer (left: too expensive)',
    k_save_call: 'Save call (lapsing core customer)',
    s_queued: 'still in our outbox',
    s_sent: 'accepted, no receipt yet',
    s_delivered: 'delivered',
    s_failed: 'failed',
    s_expired: 'expired',
    s_blocked: 'blocked (opt-out or frequency cap)',
    s_dialling: 'dialling',
    s_answered: 'answered',
    s_not_answered: 'not answered',
  },
  {
    title: 'Hatua na majaribio',
    lead: 'Je, ujumbe na simu zilizotumwa na CRM zilifanya kazi? Kila aina ya hatua dhidi ya kundi lililoachwa kando kwa bahati nasibu bila kupata chochote: kilichowafikia watu, kilichobadilika, gharama na mapato yaliyorudi.',
    howTitle: 'Jinsi ya kusoma ukurasa huu',
    how1: 'Kila mteja aliyechaguliwa na CRM kwa hatua fulani, kwa bahati nasibu, ama hutumiwa (kundi lililotendewa) ama huachwa kando. Kulinganisha makundi hayo mawili kunaonyesha kile ambacho hatua yenyewe ilibadilisha.',
    how2: 'Athari kwa wote waliopangiwa huhesabu kila mteja aliyepangiwa, hata wale ambao ujumbe haukuwafikia: ndiyo matokeo ya kuendesha hatua. Athari kwa waliofikiwa huigawanya kwa kiwango cha kufikishwa: hupima ujumbe wenyewe.',
    how3: 'Kila athari ina kipindi cha 95%: athari halisi karibu hakika iko ndani yake. Kipindi kinachojumuisha 0 bado hakiwezi kutofautishwa na kutokuwa na athari; wateja zaidi hukipunguza.',
    kind: 'Hatua',
    allKinds: 'Hatua zote',
    badKind: 'Chagua hatua kutoka kwenye orodha.',
    windows: 'Vipindi vya matokeo',
    windowsClosed: 'Vilivyofungwa tu (takwimu za mwisho)',
    windowsAll: 'Vyote (takwimu za sasa)',
    badWindows: 'Chagua vilivyofungwa au vyote.',
    pendingH: 'Matokeo bado yanaingia',
    pendingLine: (n: string, by: string) => `Matokeo bado yanaingia: vipindi ${n} vya matokeo vitafungwa kufikia ${by}.`,
    pendingAll: 'Vimehesabiwa katika takwimu zilizo hapa chini kama zilivyo leo (takwimu za sasa); bado zitabadilika.',
    pendingClosed: 'Bado havimo katika takwimu zilizo hapa chini; chagua "Vyote" chini ya vipindi vya matokeo kuona takwimu za sasa.',
    pendingKind: (kind: string, n: string, first: string, last: string) => `${kind}: ${n} (cha kwanza kinafungwa ${first}, cha mwisho ${last})`,
    noPending: 'Kila kipindi cha matokeo katika tarehe hizi kimefungwa: takwimu ni za mwisho.',
    summaryH: 'Muhtasari',
    none: 'Hakuna hatua zenye kipindi cha matokeo kilichofungwa katika tarehe hizi. Chagua "Vyote" chini ya vipindi vya matokeo kuona zinazoendelea.',
    treated: 'Waliotendewa',
    holdout: 'Walioachwa kando',
    reached: 'Waliofikiwa',
    deliveryRate: 'Kiwango cha kufikishwa',
    interval95: 'Kipindi cha 95%',
    cost: 'Gharama ya kilichotumwa',
    retained: 'Mapato yaliyorudi',
    net: 'Mapato yaliyorudi ukiondoa gharama',
    deliveryH: 'Kilichotokea kwa ujumbe',
    state: 'Hali',
    count: 'Wateja',
    outcomesH: 'Athari kwa walichofanya wateja (ndani ya kipindi cha matokeo)',
    outcome: 'Matokeo',
    rateTreated: 'Kundi lililotendewa',
    rateHoldout: 'Kundi lililoachwa kando',
    itt: 'Athari kwa wote waliopangiwa (pointi)',
    reachedEffect: 'Athari kwa waliofikiwa (pointi)',
    verdict: 'Maana yake',
    chartTitle: (kind: string) => `${kind}: athari pamoja na kipindi chake cha 95%, kwa pointi za asilimia`,
    intervalSeries: 'Kipindi cha 95%',
    estimate: 'Makadirio',
    everyone: 'wote waliopangiwa',
    onReached: 'waliofikiwa',
    revenueH: 'Mapato na gharama',
    perTreated: 'Mapato kwa kila mteja aliyetendewa',
    perHoldout: 'Mapato kwa kila mteja aliyeachwa kando',
    difference: 'Tofauti kwa kila mteja (kipindi cha 95%)',
    differenceReached: 'Tofauti kwa kila mteja aliyefikiwa (kipindi cha 95%)',
    noHoldout: 'Bado hakuna walioachwa kando: athari haiwezi kupimwa.',
    tooFew: 'Wateja ni wachache mno kujua bado.',
    noEffect: 'Bado haitofautiani na kutokuwa na athari.',
    raised: 'Imeongeza: zaidi kuliko bila hatua hii.',
    lowered: 'Imepunguza: wachache kuliko bila hatua hii.',
    pays: 'Inarudisha mapato zaidi ya gharama yake.',
    costsMore: 'Inagharimu zaidi ya mapato inayorudisha.',
    revenueUnclear: 'Athari kwa mapato bado haitofautiani na kutokuwepo.',
    out_returned: 'Walirudi',
    out_reachedContent: 'Walifikia maudhui',
    out_renewed: 'Walisajili upya (walilipa)',
    k_education_sms: 'SMS ya mafunzo (waliokwama kwenye USSD)',
    k_voice_guidance: 'Simu ya mwongozo (waliokwama kwenye simu ya sauti)',
    k_nudge: 'Kikumbusho (wanaolipa bila kutumia)',
    k_save: 'Okoa (wanaokaribia kuacha)',
    k_winback: 'Rejesha (walioacha)',
    k_welcome: 'Ukaribisho (wateja wapya)',
    k_onboarding_followup: 'Ufuatiliaji wa wapya (waliokwama mapema)',
    k_exit_guidance: 'Simu ya mwongozo (waliondoka: ngumu kutumia)',
    k_exit_offer: 'Ofa ya kifurushi nafuu (waliondoka: bei ghali)',
    k_save_call: 'Simu ya kuokoa (mteja mkuu anayekaribia kuacha)',
    s_queued: 'bado kwenye foleni yetu',
    s_sent: 'imepokelewa, bado hakuna risiti',
    s_delivered: 'imefika',
    s_failed: 'imeshindwa',
    s_expired: 'muda umekwisha',
    s_blocked: 'imezuiwa (amejiondoa au kikomo cha ujumbe)',
    s_dialling: 'inapiga',
    s_answered: 'imepokelewa',
    s_not_answered: 'haikupokelewa',
  },
);
type Txt = ReturnType<typeof T>;

interface Effect {
  uplift: number | null;
  ci95: [number, number] | null;
}
interface Outcome extends Effect {
  treatment: number | null;
  holdout: number | null;
  effectOnReached: Effect;
}
interface Kind {
  kind: string;
  channel: string;
  treated: { subscribers: number; sent: number; reached: number };
  holdout: { subscribers: number };
  delivery: Record<string, number>;
  deliveryRate: { rate: number | null; ci95: [number, number] | null };
  outcomes: Record<OutcomeKey, Outcome>;
  revenue: {
    perTreated: number | null;
    perHoldout: number | null;
    differencePerSubscriber: number | null;
    ci95: [number, number] | null;
    effectOnReachedPerSubscriber: number | null;
    effectOnReachedCi95: [number, number] | null;
  };
  cost: number;
  incrementalRevenue: number | null;
  net: number | null;
}
interface Pending {
  kind: string;
  interventions: number;
  firstWindowClosesAt: string;
  lastWindowClosesAt: string;
}

const kindName = (t: Txt, k: string) => (t as unknown as Record<string, string>)[`k_${k}`] ?? k;
const stateName = (t: Txt, s: string) => (t as unknown as Record<string, string>)[`s_${s}`] ?? s;

/** A difference of shares in signed percentage points (0.123 -> +12.3). */
function points(lang: Lang, d: number | null): string {
  if (d === null) return '–';
  return `${d > 0 ? '+' : ''}${num(lang, d * 100, 1)}`;
}
const pointsInterval = (lang: Lang, ci: [number, number] | null) => (ci ? `${points(lang, ci[0])} – ${points(lang, ci[1])}` : '–');
const moneyFormats = new Map<Lang, Intl.NumberFormat>();
/** An amount in the service's currency with its cents, e.g. KES 12.50 or −KES 0.80. */
function money(lang: Lang, v: number | null, currency: string): string {
  if (v === null) return '–';
  let f = moneyFormats.get(lang);
  if (!f) moneyFormats.set(lang, (f = new Intl.NumberFormat(LOCALES[lang], { minimumFractionDigits: 2, maximumFractionDigits: 2 })));
  return `${v < 0 ? '−' : ''}${currency} ${f.format(Math.abs(v))}`;
}
const moneyInterval = (lang: Lang, ci: [number, number] | null, currency: string) => (ci ? `${money(lang, ci[0], currency)} – ${money(lang, ci[1], currency)}` : '–');

/** An effect's interval in words: no holdout, indistinguishable from zero, or clearly up or down. */
function verdict(t: Txt, ci: [number, number] | null, k: Kind): string {
  if (!ci) return k.holdout.subscribers === 0 ? t.noHoldout : t.tooFew;
  if (ci[0] <= 0 && ci[1] >= 0) return t.noEffect;
  return ci[0] > 0 ? t.raised : t.lowered;
}

function revenueVerdict(t: Txt, k: Kind): string {
  if (k.holdout.subscribers === 0 || k.treated.subscribers === 0) return t.noHoldout;
  // No interval (too few to estimate a spread) reads as unclear, never as a verdict.
  if (!k.revenue.ci95 || (k.revenue.ci95[0] <= 0 && k.revenue.ci95[1] >= 0)) return t.revenueUnclear;
  return (k.net ?? 0) > 0 ? t.pays : t.costsMore;
}

function pendingSection(c: ConsoleContext, pending: Pending[], total: number, windows: OutcomeWindows): Html {
  const t = T(c.lang);
  if (total === 0) return html`<p class="notice-inline">${t.noPending}</p>`;
  const last = pending.reduce((m, p) => (p.lastWindowClosesAt > m ? p.lastWindowClosesAt : m), '');
  return html`<section aria-labelledby="pending-h" class="pending"><h2 id="pending-h">${t.pendingH}</h2>
<p id="pending-line"><strong>${t.pendingLine(num(c.lang, total), when(c.lang, last, c.timeZone))}</strong> ${windows === 'all' ? t.pendingAll : t.pendingClosed}</p>
<ul>${pending.map((p) => html`<li>${t.pendingKind(kindName(t, p.kind), num(c.lang, p.interventions), when(c.lang, p.firstWindowClosesAt, c.timeZone), when(c.lang, p.lastWindowClosesAt, c.timeZone))}</li>`)}</ul>
</section>`;
}

function summaryTable(c: ConsoleContext, kinds: Kind[], currency: string): Html {
  const t = T(c.lang);
  return table({
    id: 'summary-table',
    columns: [
      t.kind,
      { label: t.treated, numeric: true },
      { label: t.holdout, numeric: true },
      { label: t.reached, numeric: true },
      { label: t.deliveryRate, numeric: true },
      { label: t.cost, numeric: true },
      { label: t.retained, numeric: true },
      { label: t.net, numeric: true },
    ],
    rows: kinds.map((k) => [
      html`<a href="#kind-${k.kind}">${kindName(t, k.kind)}</a>`,
      num(c.lang, k.treated.subscribers),
      num(c.lang, k.holdout.subscribers),
      num(c.lang, k.treated.reached),
      pct(c.lang, k.deliveryRate.rate),
      money(c.lang, k.cost, currency),
      money(c.lang, k.incrementalRevenue, currency),
      money(c.lang, k.net, currency),
    ]),
  });
}

function kindSection(c: ConsoleContext, k: Kind, currency: string, i: number): Html {
  const t = T(c.lang);
  const name = kindName(t, k.kind);
  const states = Object.entries(k.delivery);
  const labels: string[] = [];
  const bars: ([number, number] | null)[] = [];
  const marks: (number | null)[] = [];
  for (const o of OUTCOMES) {
    const out = k.outcomes[o];
    labels.push(`${t[`out_${o}`]}: ${t.everyone}`, `${t[`out_${o}`]}: ${t.onReached}`);
    bars.push(out.ci95, out.effectOnReached.ci95);
    marks.push(out.uplift, out.effectOnReached.uplift);
  }
  return html`<article id="kind-${k.kind}" class="intervention-kind">
<h2>${name}</h2>
<h3>${t.deliveryH}</h3>
<p>${t.deliveryRate}: <strong>${pct(c.lang, k.deliveryRate.rate)}</strong> (${t.interval95}: ${interval(c.lang, k.deliveryRate.ci95?.[0], k.deliveryRate.ci95?.[1])})</p>
${table({ columns: [t.state, { label: t.count, numeric: true }], rows: states.map(([s, n]) => [stateName(t, s), num(c.lang, n)]) })}
<h3>${t.outcomesH}</h3>
${table({
  id: `outcomes-${k.kind}`,
  columns: [t.outcome, { label: t.rateTreated, numeric: true }, { label: t.rateHoldout, numeric: true }, { label: t.itt, numeric: true }, { label: t.interval95, numeric: true }, { label: t.reachedEffect, numeric: true }, { label: t.interval95, numeric: true }, t.verdict],
  rows: OUTCOMES.map((o) => {
    const out = k.outcomes[o];
    return [t[`out_${o}`], pct(c.lang, out.treatment), pct(c.lang, out.holdout), points(c.lang, out.uplift), pointsInterval(c.lang, out.ci95), points(c.lang, out.effectOnReached.uplift), pointsInterval(c.lang, out.effectOnReached.ci95), verdict(t, out.ci95, k)];
  }),
})}
${chart({
  id: `effects-${i}`,
  title: t.chartTitle(name),
  type: 'bar',
  horizontal: true,
  format: 'percent',
  labels,
  series: [
    { label: t.intervalSeries, data: bars, color: 'blue' },
    { label: t.estimate, data: marks, type: 'line', points: true, color: 'red' },
  ],
})}
<h3>${t.revenueH}</h3>
<dl class="figures">
<dt>${t.perTreated}</dt><dd>${money(c.lang, k.revenue.perTreated, currency)}</dd>
<dt>${t.perHoldout}</dt><dd>${money(c.lang, k.revenue.perHoldout, currency)}</dd>
<dt>${t.difference}</dt><dd>${money(c.lang, k.revenue.differencePerSubscriber, currency)} (${moneyInterval(c.lang, k.revenue.ci95, currency)})</dd>
<dt>${t.differenceReached}</dt><dd>${money(c.lang, k.revenue.effectOnReachedPerSubscriber, currency)} (${moneyInterval(c.lang, k.revenue.effectOnReachedCi95, currency)})</dd>
<dt>${t.cost}</dt><dd>${money(c.lang, k.cost, currency)}</dd>
<dt>${t.retained}</dt><dd>${money(c.lang, k.incrementalRevenue, currency)}</dd>
<dt>${t.net}</dt><dd>${money(c.lang, k.net, currency)}</dd>
</dl>
<p class="verdict">${revenueVerdict(t, k)}</p>
</article>`;
}

/** GET /console/interventions: per intervention kind, delivery, ITT uplift and effect on the reached with intervals, revenue and cost, pending windows. */
export function interventionsPages(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get('/interventions', async (req, reply) => {
    const c = ctx(req);
    const t = T(c.lang);
    const range = rangeFrom(req.query);
    const kind = choice(req.query, 'kind', INTERVENTION_KINDS);
    const windows = choice(req.query, 'windows', OUTCOME_WINDOWS);
    const extra = html`<div>${field({
      name: 'kind',
      label: t.kind,
      type: 'select',
      value: kind || '',
      options: [{ value: '', label: t.allKinds }, ...INTERVENTION_KINDS.map((k) => ({ value: k, label: kindName(t, k) }))],
      error: kind === false ? t.badKind : null,
    })}</div><div>${field({
      name: 'windows',
      label: t.windows,
      type: 'select',
      value: windows || 'closed',
      options: [
        { value: 'closed', label: t.windowsClosed },
        { value: 'all', label: t.windowsAll },
      ],
      error: windows === false ? t.badWindows : null,
    })}</div>`;
    const form = rangeForm(c, range, { extra });
    const how = html`<details class="how-to-read"><summary>${t.howTitle}</summary><p>${t.how1}</p><p>${t.how2}</p><p>${t.how3}</p></details>`;
    if (kind === false || windows === false) return sendHtml(reply, page(c, { title: t.title, lead: t.lead, body: html`${form}${how}` }), 400);
    const backwards = rangeError(c.lang, range);
    if (backwards) return sendHtml(reply, page(c, { title: t.title, lead: t.lead, error: backwards, body: html`${form}${how}` }), 400);
    const run = await runReport(deps.core, 'interventions', { from: range.from, to: range.to, kind, windows });
    if (run.failure) return sendHtml(reply, page(c, { title: t.title, lead: t.lead, error: run.failure.message, body: html`${form}${how}` }), 400);
    const r = run.report;
    const kinds = r.kinds as Kind[];
    const currency = r.currency as string;
    const body = html`${form}${how}
${pendingSection(c, r.pending as Pending[], r.pendingOutcomes as number, r.windows as OutcomeWindows)}
${kinds.length
  ? html`<section aria-labelledby="summary-h"><h2 id="summary-h">${t.summaryH}</h2>${summaryTable(c, kinds, currency)}</section>
${kinds.map((k, i) => kindSection(c, k, currency, i))}`
  : html`<p class="empty">${t.none}</p>`}`;
    return sendHtml(reply, page(c, { title: t.title, lead: t.lead, body }));
  });
}
