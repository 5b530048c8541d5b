import type { FastifyInstance } from 'fastify';
import { EXIT_REASONS } from '../../crm/exit-reasons/reasons';
import { EXIT_BY } from '../../reports/stores/exit-reasons-store';
import { ctx, sendHtml, type ConsoleContext, type ConsoleDeps } from '../context';
import { num, pct, when } from '../format';
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
    title: 'Exit reasons',
    lead: 'Why subscribers leave a service: each one who leaves gets one question, by SMS or on the next USSD screen. Shares are of the answers, with the range the true share is likely in (95%).',
    by: 'Split by',
    byNone: 'No split',
    by_cohort: 'Month they joined',
    by_tenure: 'How long they stayed',
    by_region: 'Region',
    by_channel: 'How they left',
    byBad: 'Choose one of the splits in the list.',
    exits: 'Left in these dates',
    asked: 'Asked',
    answered: 'Answered',
    pending: 'May still answer',
    notAsked: 'Not asked',
    responseRate: 'Response rate',
    responseNote: (hours: string) => `A reply counts within ${hours} hours of the question; until then the response rate can still rise.`,
    reasonsTitle: 'Why they left',
    reason: 'Reason',
    answers: 'Answers',
    share: 'Share of answers',
    interval: 'Likely range (95%)',
    followUp: 'Follow-up',
    noAnswers: 'Nobody answered in these dates.',
    groupsTitle: 'Reasons by group',
    group: 'Group',
    noGroups: 'Nobody left in these dates.',
    freeTitle: 'In their own words (latest)',
    when: 'When',
    subscriber: 'Subscriber',
    text: 'What they wrote',
    noFree: 'No written answers in these dates.',
    followTitle: 'Follow-ups and their results',
    followLead: 'Some reasons lead to a follow-up, measured against a comparison group like every intervention:',
    resultsLink: 'See the results on Interventions and experiments',
    fu_exit_guidance: 'a guidance call',
    fu_exit_offer: 'an SMS offering a cheaper package',
    fu_none: 'none',
    notAskedWhy: 'Not asked because',
    na_opted_out: 'they had opted out of all messages',
    r_too_expensive: 'Too expensive',
    r_not_useful: 'Not useful',
    r_hard_to_use: 'Hard to use',
    r_poor_network: 'Poor network',
    r_other: 'Other',
    t_under_1_week: 'under 1 week',
    t_1_4_weeks: '1 to 4 weeks',
    t_1_3_months: '1 to 3 months',
    t_3_months_plus: '3 months or more',
    t_unknown: 'not known',
    c_sms: 'SMS (STOP)',
    c_ussd: 'USSD menu',
    c_ivr: 'Voice menu',
    c_billing: 'Operator (billing)',
  },
  {
    title: 'Sababu za kuondoka',
    lead: 'Kwa nini wateja wanaondoka kwenye huduma: kila anayeondoka anaulizwa swali moja, kwa SMS au kwenye skrini inayofuata ya USSD. Asilimia ni za majibu, pamoja na kiwango ambacho asilimia halisi huenda imo (95%).',
    by: 'Gawanya kwa',
    byNone: 'Bila kugawanya',
    by_cohort: 'Mwezi waliojiunga',
    by_tenure: 'Muda waliokaa',
    by_region: 'Eneo',
    by_channel: 'Jinsi walivyoondoka',
    byBad: 'Chagua mojawapo ya migawanyo iliyo kwenye orodha.',
    exits: 'Walioondoka katika tarehe hizi',
    asked: 'Waliulizwa',
    answered: 'Walijibu',
    pending: 'Bado wanaweza kujibu',
    notAsked: 'Hawakuulizwa',
    responseRate: 'Kiwango cha kujibu',
    responseNote: (hours: string) => `Jibu linahesabiwa ndani ya saa ${hours} baada ya swali; hadi hapo kiwango cha kujibu bado kinaweza kupanda.`,
    reasonsTitle: 'Kwa nini waliondoka',
    reason: 'Sababu',
    answers: 'Majibu',
    share: 'Asilimia ya majibu',
    interval: 'Kiwango kinachowezekana (95%)',
    followUp: 'Hatua inayofuata',
    noAnswers: 'Hakuna aliyejibu katika tarehe hizi.',
    groupsTitle: 'Sababu kwa kundi',
    group: 'Kundi',
    noGroups: 'Hakuna aliyeondoka katika tarehe hizi.',
    freeTitle: 'Kwa maneno yao (ya karibuni)',
    when: 'Lini',
    subscriber: 'Mteja',
    text: 'Walichoandika',
    noFree: 'Hakuna majibu yaliyoandikwa katika tarehe hizi.',
    followTitle: 'Hatua zinazofuata na matokeo yake',
    followLead: 'Baadhi ya sababu husababisha hatua inayofuata, inayopimwa dhidi ya kundi la kulinganisha kama kila hatua:',
    resultsLink: 'Tazama matokeo kwenye Hatua na majaribio',
    fu_exit_guidance: 'simu ya mwongozo',
    fu_exit_offer: 'SMS ya ofa ya kifurushi nafuu',
    fu_none: 'hakuna',
    notAskedWhy: 'Hawakuulizwa kwa sababu',
    na_opted_out: 'walikuwa wamejiondoa kwenye ujumbe wote',
    r_too_expensive: 'Bei ghali',
    r_not_useful: 'Haina manufaa',
    r_hard_to_use: 'Ngumu kutumia',
    r_poor_network: 'Mtandao mbaya',
    r_other: 'Nyingine',
    t_under_1_week: 'chini ya wiki 1',
    t_1_4_weeks: 'wiki 1 hadi 4',
    t_1_3_months: 'miezi 1 hadi 3',
    t_3_months_plus: 'miezi 3 au zaidi',
    t_unknown: 'haijulikani',
    c_sms: 'SMS (STOP)',
    c_ussd: 'Menyu ya USSD',
    c_ivr: 'Menyu ya sauti',
    c_billing: 'Mtandao (malipo)',
  },
);
type Txt = ReturnType<typeof T>;
const word = (t: Txt, key: string): string => (t as unknown as Record<string, string>)[key] ?? key.replace(/^[a-z]+_/, '');

type ReasonRow = { reason: string; answers: number; share: number | null; ci95: [number, number] | null; followUp: string | null };
type Summary = { exits: number; asked: number; answered: number; pending: number; notAsked: number; notAskedBecause: Record<string, number>; responseRate: number | null; responseRateCi95: [number, number] | null; reasons: ReasonRow[] };
type Report = Summary & { by?: string; groups?: (Summary & { value: string })[]; replyWindowHours: number; freeText: { at: string; text: string; msisdn: string }[] };

const interval = (lang: Lang, ci: [number, number] | null) => (ci ? `${pct(lang, ci[0])} – ${pct(lang, ci[1])}` : '–');

function cards(c: ConsoleContext, r: Report): Html {
  const t = T(c.lang);
  const card = (label: string, value: string) => html`<article class="card"><span class="sub">${label}</span><strong class="figure">${value}</strong></article>`;
  const why = Object.entries(r.notAskedBecause);
  return html`<div class="cards">${card(t.exits, num(c.lang, r.exits))}${card(t.asked, num(c.lang, r.asked))}${card(t.answered, num(c.lang, r.answered))}${card(t.pending, num(c.lang, r.pending))}${card(t.notAsked, num(c.lang, r.notAsked))}${card(t.responseRate, pct(c.lang, r.responseRate))}</div>
<p><small>${t.responseRate}: ${interval(c.lang, r.responseRateCi95)}. ${t.responseNote(num(c.lang, r.replyWindowHours))}</small></p>
${why.length > 0 ? html`<p><small>${t.notAskedWhy}: ${why.map(([k, n]) => `${word(t, `na_${k}`)} (${num(c.lang, n)})`).join('; ')}</small></p>` : null}`;
}

function reasons(c: ConsoleContext, r: Report): Html {
  const t = T(c.lang);
  const label = (x: ReasonRow) => word(t, `r_${x.reason}`);
  return html`<section id="reasons"><h2>${t.reasonsTitle}</h2>
${r.answered > 0 ? chart({ id: 'exit-reasons-chart', title: t.reasonsTitle, type: 'bar', horizontal: true, format: 'percent', min: 0, max: 1, labels: r.reasons.map(label), series: [{ label: t.share, data: r.reasons.map((x) => x.share ?? 0), color: 'blue' }] }) : null}
${table({
  id: 'reasons-table',
  caption: t.reasonsTitle,
  columns: [t.reason, { label: t.answers, numeric: true }, { label: t.share, numeric: true }, t.interval, t.followUp],
  rows: r.answered > 0 ? r.reasons.map((x) => [label(x), num(c.lang, x.answers), pct(c.lang, x.share), interval(c.lang, x.ci95), word(t, `fu_${x.followUp ?? 'none'}`)]) : [],
  empty: t.noAnswers,
})}
</section>`;
}

function groups(c: ConsoleContext, r: Report): Html | null {
  if (!r.by || !r.groups) return null;
  const t = T(c.lang);
  const name = (v: string) => (r.by === 'tenure' ? word(t, `t_${v}`) : r.by === 'channel' ? word(t, `c_${v}`) : v);
  const cell = (g: Summary, reason: string) => {
    const x = g.reasons.find((y) => y.reason === reason)!;
    return g.answered > 0 ? `${num(c.lang, x.answers)} (${pct(c.lang, x.share)})` : '–';
  };
  return html`<section id="groups"><h2>${t.groupsTitle}: ${word(t, `by_${r.by}`)}</h2>
${table({
  id: 'groups-table',
  caption: `${t.groupsTitle}: ${word(t, `by_${r.by}`)}`,
  columns: [t.group, { label: t.exits, numeric: true }, { label: t.answered, numeric: true }, { label: t.responseRate, numeric: true }, ...EXIT_REASONS.map((x) => word(t, `r_${x}`))],
  rows: r.groups.map((g) => [name(g.value), num(c.lang, g.exits), num(c.lang, g.answered), pct(c.lang, g.responseRate), ...EXIT_REASONS.map((x) => cell(g, x))]),
  empty: t.noGroups,
})}
</section>`;
}

function freeText(c: ConsoleContext, r: Report): Html {
  const t = T(c.lang);
  return html`<section id="free-text"><h2>${t.freeTitle}</h2>
${table({ id: 'free-text-table', caption: t.freeTitle, columns: [t.when, t.subscriber, t.text], rows: r.freeText.map((f) => [when(c.lang, f.at, c.timeZone), c.msisdn(f.msisdn), f.text]), empty: t.noFree })}
</section>`;
}

function followUps(c: ConsoleContext, r: Report): Html {
  const t = T(c.lang);
  const routed = r.reasons.filter((x) => x.followUp);
  return html`<section id="follow-ups"><h2>${t.followTitle}</h2>
<p>${t.followLead}</p>
<ul>${routed.map((x) => html`<li>${word(t, `r_${x.reason}`)}: ${word(t, `fu_${x.followUp!}`)} — <a href="/console/interventions?kind=${x.followUp!}">${t.resultsLink}</a></li>`)}</ul>
</section>`;
}

/** /console/exit-reasons: why subscribers leave, the response rate, the split by a group, their own words, follow-ups. */
export function exitReasonsPages(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get('/exit-reasons', async (req, reply) => {
    const c = ctx(req);
    const t = T(c.lang);
    const q = queryOf(req.query);
    const range = rangeFrom(req.query);
    const byError = q.by !== undefined && !(EXIT_BY as readonly string[]).includes(q.by) ? t.byBad : null;
    const run = byError ? { report: null, failure: null } : await runReport(deps.core, 'exit-reasons', { from: range.from, to: range.to, by: q.by, limit: 20 });
    const form = rangeForm(c, range, {
      extra: html`<div>${field({ name: 'by', label: t.by, type: 'select', value: byError ? '' : (q.by ?? ''), error: byError, options: [{ value: '', label: t.byNone }, ...EXIT_BY.map((b) => ({ value: b, label: word(t, `by_${b}`) }))] })}</div>`,
    });
    const r = run.report as unknown as Report | null;
    const body = html`${form}
${run.failure ? html`<p class="error" role="alert">${run.failure.message}</p>` : null}
${r ? html`${datesLine(c.lang, run.report!)}${cards(c, r)}${reasons(c, r)}${groups(c, r)}${freeText(c, r)}${followUps(c, r)}` : null}`;
    return sendHtml(reply, page(c, { title: t.title, lead: t.lead, body }), byError || run.failure ? 400 : 200);
  });
}
