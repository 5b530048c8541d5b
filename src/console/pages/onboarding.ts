import type { FastifyInstance } from 'fastify';
import { ctx, sendHtml, type ConsoleContext, type ConsoleDeps } from '../context';
import { interval, num, pct } from '../format';
import { html, type Html } from '../html';
import { texts } from '../i18n';
import { page } from '../layout';
import { chart } from '../ui/chart';
import { rangeForm, rangeFrom } from '../ui/range';
import { table } from '../ui/table';
import { datesLine, runReport } from './report-page';

const T = texts(
  {
    title: 'Onboarding',
    lead: 'New subscribers get a welcome SMS with the shortcuts farmers like them use most, and a "did you find what you need?" SMS if their first sessions were stuck. A random share is held out, so the difference the welcome makes can be measured.',
    joined: 'New subscribers',
    joinedSub: (s: string) => `joined in these dates, ${s} by a first session`,
    onboarded: 'Onboarded',
    onboardedSub: 'got the welcome',
    heldOut: 'Held out',
    heldOutSub: 'got nothing, for comparison',
    delivery: 'Welcome delivered',
    deliverySub: (d: string, n: string) => `${d} of ${n} sent`,
    compareH: 'Onboarded against held out',
    measure: 'Measure',
    onboardedRate: 'Onboarded',
    heldOutRate: 'Held out',
    difference: 'Difference (95% interval)',
    pending: 'Still waiting (onboarded / held out)',
    of: (rate: string, n: string) => `${rate} of ${n}`,
    firstGo: 'Found what they sought at the first go (first visit after the welcome)',
    retention: (d: string) => `Still with us ${d} days after joining`,
    followup: 'Reached content after the follow-up',
    chartTitle: 'Each rate with its 95% interval, onboarded and held out',
    intervalSeries: '95% interval',
    estimate: 'Rate',
    onboardedShort: 'onboarded',
    heldOutShort: 'held out',
    pendingNote: 'A subscriber still inside a window (no visit since the welcome yet, or fewer days since joining than the retention window) is waiting, not lost: they are left out of the rates until the window closes.',
    followupH: 'Follow-up to new subscribers stuck early',
    followupLine: (t: string, h: string, s: string, d: string) => `${t} onboarded and ${h} held-out new subscribers were stuck in their first sessions; ${s} follow-ups were sent and ${d} delivered.`,
    shortcutsH: 'Shortcuts the welcome carries now',
    shortcutsLead: 'The content found most often at the first go by subscribers of the same region and crop; a group with few visits borrows from its region, then from everyone.',
    region: 'Region',
    crop: 'Crop',
    reaches: 'First-go visits',
    shortcuts: 'Shortcuts',
    everyone: 'Everyone (no region or crop)',
    unknown: 'not set',
    noShortcuts: 'Nobody has found content yet: the welcome offers the main menu\'s options.',
    textsH: 'Welcome and follow-up texts',
    textsLead: 'Sent in the subscriber\'s language. {shortcuts} becomes the shortcuts above (the third is left out when it would make the SMS longer than one part); {shortcut} and {topic} the menu they were stuck in.',
    language: 'Language',
    welcome: 'Welcome',
    followupText: 'Follow-up',
  },
  {
    title: 'Kukaribisha wapya',
    lead: 'Wateja wapya hupata SMS ya kuwakaribisha yenye njia za mkato zinazotumiwa zaidi na wakulima kama wao, na SMS ya "je, ulipata ulichohitaji?" ikiwa walikwama katika matumizi yao ya kwanza. Sehemu ya nasibu haitumiwi chochote, ili tofauti inayoletwa na ukaribisho ipimwe.',
    joined: 'Wateja wapya',
    joinedSub: (s: string) => `walijiunga katika tarehe hizi, ${s} kwa matumizi ya kwanza`,
    onboarded: 'Waliokaribishwa',
    onboardedSub: 'walipata ukaribisho',
    heldOut: 'Walioachwa nje',
    heldOutSub: 'hawakupata chochote, kwa kulinganisha',
    delivery: 'Ukaribisho uliofika',
    deliverySub: (d: string, n: string) => `${d} kati ya ${n} zilizotumwa`,
    compareH: 'Waliokaribishwa dhidi ya walioachwa nje',
    measure: 'Kipimo',
    onboardedRate: 'Waliokaribishwa',
    heldOutRate: 'Walioachwa nje',
    difference: 'Tofauti (muda wa uhakika 95%)',
    pending: 'Bado wanasubiriwa (waliokaribishwa / walioachwa nje)',
    of: (rate: string, n: string) => `${rate} kati ya ${n}`,
    firstGo: 'Walipata walichotafuta mara ya kwanza (ziara ya kwanza baada ya ukaribisho)',
    retention: (d: string) => `Bado wapo siku ${d} baada ya kujiunga`,
    followup: 'Walifikia maudhui baada ya ufuatiliaji',
    chartTitle: 'Kila kiwango na muda wake wa uhakika 95%, waliokaribishwa na walioachwa nje',
    intervalSeries: 'Muda wa uhakika 95%',
    estimate: 'Kiwango',
    onboardedShort: 'waliokaribishwa',
    heldOutShort: 'walioachwa nje',
    pendingNote: 'Mteja ambaye bado yuko ndani ya kipindi (hajatembelea tangu ukaribisho, au siku tangu ajiunge ni chache kuliko kipindi cha kubaki) anasubiriwa, hajapotea: haingii katika viwango hadi kipindi kiishe.',
    followupH: 'Ufuatiliaji kwa wateja wapya waliokwama mapema',
    followupLine: (t: string, h: string, s: string, d: string) => `Wateja wapya ${t} waliokaribishwa na ${h} walioachwa nje walikwama katika matumizi yao ya kwanza; ufuatiliaji ${s} ulitumwa na ${d} ukafika.`,
    shortcutsH: 'Njia za mkato zilizo katika ukaribisho sasa',
    shortcutsLead: 'Maudhui yanayopatikana zaidi mara ya kwanza na wateja wa eneo na zao moja; kundi lenye ziara chache hukopa kutoka kwa eneo lake, kisha kwa wote.',
    region: 'Eneo',
    crop: 'Zao',
    reaches: 'Ziara za mara ya kwanza',
    shortcuts: 'Njia za mkato',
    everyone: 'Wote (bila eneo wala zao)',
    unknown: 'haijawekwa',
    noShortcuts: 'Bado hakuna aliyepata maudhui: ukaribisho unatoa chaguo za menyu kuu.',
    textsH: 'Maandishi ya ukaribisho na ufuatiliaji',
    textsLead: 'Hutumwa kwa lugha ya mteja. {shortcuts} huwa njia za mkato zilizo juu (ya tatu huachwa ikiwa ingefanya SMS kuzidi sehemu moja); {shortcut} na {topic} menyu aliyokwama.',
    language: 'Lugha',
    welcome: 'Ukaribisho',
    followupText: 'Ufuatiliaji',
  },
);

type Side = { subscribers: number; successes: number; rate: number | null; ci95: [number, number] | null };
type Comparison = { treatment: Side; holdout: Side; uplift: number | null; ci95: [number, number] | null };
type Shortcut = { shortcut: string; topic: string; reaches: number };
type Report = {
  newSubscribers: { joined: number; viaSession: number; onboarded: number; heldOut: number; notAssigned: number };
  welcome: { onboarded: number; sent: number; delivered: number; deliveryRate: { rate: number | null } };
  firstGo: Comparison & { pending: { onboarded: number; heldOut: number } };
  retention: Comparison & { days: number; pending: { onboarded: number; heldOut: number } };
  followup: { onboarded: number; heldOut: number; sent: number; delivered: number; reachedContent: Comparison; pending: { onboarded: number; heldOut: number } };
  shortcuts: { base: Shortcut[]; groups: { region: string | null; crop: string | null; reaches: number; shortcuts: Shortcut[] }[] };
};

function comparisons(c: ConsoleContext, r: Report): Html {
  const t = T(c.lang);
  const measures: [string, Comparison, { onboarded: number; heldOut: number }][] = [
    [t.firstGo, r.firstGo, r.firstGo.pending],
    [t.retention(num(c.lang, r.retention.days)), r.retention, r.retention.pending],
    [t.followup, r.followup.reachedContent, r.followup.pending],
  ];
  const side = (s: Side) => html`${t.of(pct(c.lang, s.rate), num(c.lang, s.subscribers))}<br><small>${interval(c.lang, s.ci95?.[0], s.ci95?.[1])}</small>`;
  const rows = measures.map(([name, m, p]) => [
    name,
    side(m.treatment),
    side(m.holdout),
    html`${m.uplift === null ? '–' : pct(c.lang, m.uplift)}<br><small>${interval(c.lang, m.ci95?.[0], m.ci95?.[1])}</small>`,
    `${num(c.lang, p.onboarded)} / ${num(c.lang, p.heldOut)}`,
  ]);
  const labels = measures.flatMap(([name]) => [`${name}: ${t.onboardedShort}`, `${name}: ${t.heldOutShort}`]);
  return html`<section id="comparison"><h2>${t.compareH}</h2>
${table({
  caption: t.compareH,
  columns: [t.measure, { label: t.onboardedRate, numeric: true }, { label: t.heldOutRate, numeric: true }, { label: t.difference, numeric: true }, { label: t.pending, numeric: true }],
  rows,
  id: 'onboarding-comparison',
})}
${chart({
  id: 'onboarding-rates',
  title: t.chartTitle,
  type: 'bar',
  horizontal: true,
  format: 'percent',
  min: 0,
  max: 1,
  labels,
  series: [
    { label: t.intervalSeries, data: measures.flatMap(([, m]) => [m.treatment.ci95, m.holdout.ci95]), color: 'blue' },
    { label: t.estimate, data: measures.flatMap(([, m]) => [m.treatment.rate, m.holdout.rate]), type: 'line', points: true, color: 'red' },
  ],
})}
<p><small>${t.pendingNote}</small></p>
</section>`;
}

function shortcuts(c: ConsoleContext, r: Report): Html {
  const t = T(c.lang);
  const list = (s: Shortcut[]) => (s.length > 0 ? s.map((x) => `${x.shortcut} ${x.topic}`).join(', ') : '–');
  const rows = [
    [t.everyone, '', num(c.lang, r.shortcuts.base.reduce((a, s) => a + s.reaches, 0)), list(r.shortcuts.base)],
    ...r.shortcuts.groups.map((g) => [g.region ?? t.unknown, g.crop ?? t.unknown, num(c.lang, g.reaches), list(g.shortcuts)]),
  ];
  return html`<section id="shortcuts"><h2>${t.shortcutsH}</h2><p>${t.shortcutsLead}</p>
${r.shortcuts.base.length === 0 ? html`<p class="empty">${t.noShortcuts}</p>` : table({ caption: t.shortcutsH, columns: [t.region, t.crop, { label: t.reaches, numeric: true }, t.shortcuts], rows, id: 'onboarding-shortcuts' })}
</section>`;
}

function templatesTable(c: ConsoleContext, deps: ConsoleDeps): Html {
  const t = T(c.lang);
  const tpl = deps.core.config.crm.interventions.templates;
  const langs = [...new Set([...Object.keys(tpl.welcome), ...Object.keys(tpl.onboarding_followup)])];
  return html`<section id="texts"><h2>${t.textsH}</h2><p>${t.textsLead}</p>
${table({ caption: t.textsH, columns: [t.language, t.welcome, t.followupText], rows: langs.map((l) => [l, tpl.welcome[l] ?? '–', tpl.onboarding_followup[l] ?? '–']), id: 'onboarding-texts' })}
</section>`;
}

/** /console/onboarding: new subscribers onboarded against held out, the follow-up, the shortcuts chosen and the texts. */
export function onboardingPages(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get('/onboarding', async (req, reply) => {
    const c = ctx(req);
    const t = T(c.lang);
    const range = rangeFrom(req.query);
    const run = await runReport(deps.core, 'onboarding', range);
    const r = run.report as unknown as Report | null;
    let figures: Html | null = null;
    if (r) {
      const n = r.newSubscribers;
      figures = html`${datesLine(c.lang, run.report!)}
<div class="cards">
<article class="card"><span class="sub">${t.joined}</span><strong class="figure">${num(c.lang, n.joined)}</strong><span class="sub">${t.joinedSub(num(c.lang, n.viaSession))}</span></article>
<article class="card"><span class="sub">${t.onboarded}</span><strong class="figure">${num(c.lang, n.onboarded)}</strong><span class="sub">${t.onboardedSub}</span></article>
<article class="card"><span class="sub">${t.heldOut}</span><strong class="figure">${num(c.lang, n.heldOut)}</strong><span class="sub">${t.heldOutSub}</span></article>
<article class="card"><span class="sub">${t.delivery}</span><strong class="figure">${pct(c.lang, r.welcome.deliveryRate.rate)}</strong><span class="sub">${t.deliverySub(num(c.lang, r.welcome.delivered), num(c.lang, r.welcome.sent))}</span></article>
</div>
${comparisons(c, r)}
<section id="followup"><h2>${t.followupH}</h2><p>${t.followupLine(num(c.lang, r.followup.onboarded), num(c.lang, r.followup.heldOut), num(c.lang, r.followup.sent), num(c.lang, r.followup.delivered))}</p></section>
${shortcuts(c, r)}`;
    }
    const body = html`${rangeForm(c, range)}
${run.failure ? html`<p class="error" role="alert">${run.failure.message}</p>` : null}
${figures}
${templatesTable(c, deps)}`;
    return sendHtml(reply, page(c, { title: t.title, lead: t.lead, body }), run.failure ? 400 : 200);
  });
}
