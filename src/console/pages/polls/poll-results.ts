import type { Poll } from '../../../campaigns/poll-repo';
import type { ConsoleContext } from '../../context';
import { num, pct } from '../../format';
import { html, type Html } from '../../html';
import { texts } from '../../i18n';
import { chart } from '../../ui/chart';
import { table } from '../../ui/table';

// A poll's results as GET /api/v1/polls/:id/results gives them: invitations by what became of them,
// answers per option (chart and the same figures in a table), by region and by channel.

/** The part of the results JSON this page reads (PollResults.results). */
export interface ResultsJson {
  invited: number;
  sent: number;
  delivered: number;
  reached: number;
  responses: number;
  responseRate: number | null;
  answers: { index: number; count: number; share: number }[];
  nps?: number | null;
  npsBreakdown?: { promoters: number; passives: number; detractors: number };
  byRegion: { region: string | null; invited: number; reached: number; responses: number; responseRate: number | null; answers: { index: number; count: number }[]; nps?: number | null }[];
  byChannel: Record<string, number>;
}

const T = texts(
  {
    summary: 'Who was asked and who answered',
    invited: 'Invited',
    sent: 'Sent',
    delivered: 'Delivered',
    reached: 'Reached',
    responses: 'Answers',
    rate: 'Response rate',
    rateHelp: 'answers from the invited, over those reached',
    invitedHelp: 'invitations from campaigns',
    sentHelp: 'accepted by the SMSC or placed as calls',
    reachedHelp: 'delivered, or answered (an answer proves it arrived)',
    npsScore: 'NPS',
    npsHelp: (p: string, d: string) => `${p} promoters (9-10) minus ${d} detractors (0-6)`,
    answers: 'Answers per option',
    answer: 'Answer',
    count: 'Answers',
    share: 'Share',
    score: 'Score',
    byRegion: 'By region',
    region: 'Region',
    noRegion: '(no region)',
    byChannel: 'By channel',
    channel: 'Channel',
    none: 'No answers yet.',
    noneRegion: 'No invitations or answers yet.',
    csv: 'Download CSV',
    csvHelp: 'One line per answer: number, answer, channel, campaign, time, region, crop, language, operator.',
    channels: (ch: string) => ({ sms: 'SMS', ussd: 'USSD', ivr: 'Voice (IVR)' })[ch] ?? ch,
  },
  {
    summary: 'Walioulizwa na waliojibu',
    invited: 'Walioalikwa',
    sent: 'Zilizotumwa',
    delivered: 'Zilizofika',
    reached: 'Waliofikiwa',
    responses: 'Majibu',
    rate: 'Kiwango cha majibu',
    rateHelp: 'majibu ya walioalikwa, kati ya waliofikiwa',
    invitedHelp: 'mialiko kutoka kwa kampeni',
    sentHelp: 'zilizokubaliwa na SMSC au simu zilizopigwa',
    reachedHelp: 'zilizofika, au zilizojibiwa (jibu linathibitisha kufika)',
    npsScore: 'NPS',
    npsHelp: (p: string, d: string) => `${p} wanaopendekeza (9-10) toa ${d} wasioridhika (0-6)`,
    answers: 'Majibu kwa kila chaguo',
    answer: 'Jibu',
    count: 'Majibu',
    share: 'Sehemu',
    score: 'Alama',
    byRegion: 'Kwa eneo',
    region: 'Eneo',
    noRegion: '(bila eneo)',
    byChannel: 'Kwa njia',
    channel: 'Njia',
    none: 'Bado hakuna majibu.',
    noneRegion: 'Bado hakuna mialiko wala majibu.',
    csv: 'Pakua CSV',
    csvHelp: 'Mstari mmoja kwa kila jibu: namba, jibu, njia, kampeni, wakati, eneo, zao, lugha, mtandao.',
    channels: (ch: string) => ({ sms: 'SMS', ussd: 'USSD', ivr: 'Sauti (IVR)' })[ch] ?? ch,
  },
);

/** An option's label in the reader's language (a score for NPS polls). */
export function optionLabel(c: ConsoleContext, poll: Poll, index: number): string {
  if (poll.type === 'nps') return String(index);
  const a = poll.answers[index] ?? {};
  return `${index + 1}. ${a[c.lang] ?? a.en ?? Object.values(a)[0] ?? ''}`;
}

function card(label: string, figure: string, sub?: string): Html {
  return html`<article class="card"><span class="sub">${label}</span><span class="figure">${figure}</span>${sub ? html`<span class="sub">${sub}</span>` : null}</article>`;
}

/** The results section of a poll's page. */
export function resultsSection(c: ConsoleContext, poll: Poll, r: ResultsJson): Html {
  const t = T(c.lang);
  const l = c.lang;
  const labels = r.answers.map((a) => optionLabel(c, poll, a.index));
  const nps = poll.type === 'nps' && r.npsBreakdown ? card(t.npsScore, num(l, r.nps ?? null, 1), t.npsHelp(num(l, r.npsBreakdown.promoters), num(l, r.npsBreakdown.detractors))) : null;
  const regionCols = poll.type === 'nps' ? [{ label: t.npsScore, numeric: true }] : labels.map((label) => ({ label, numeric: true }));
  return html`<section aria-labelledby="results-h">
<h2 id="results-h">${t.summary}</h2>
<div class="cards">
${card(t.invited, num(l, r.invited), t.invitedHelp)}
${card(t.sent, num(l, r.sent), t.sentHelp)}
${card(t.delivered, num(l, r.delivered))}
${card(t.reached, num(l, r.reached), t.reachedHelp)}
${card(t.responses, num(l, r.responses))}
${card(t.rate, pct(l, r.responseRate), t.rateHelp)}
${nps}
</div>
</section>
<section aria-labelledby="answers-h">
<h2 id="answers-h">${t.answers}</h2>
${r.responses > 0
  ? chart({ id: 'poll-answers', title: t.answers, type: 'bar', labels, series: [{ label: t.count, data: r.answers.map((a) => a.count), color: 'blue' }], format: 'count', horizontal: poll.type === 'choice' })
  : null}
${table({
  caption: t.answers,
  columns: [poll.type === 'nps' ? t.score : t.answer, { label: t.count, numeric: true }, { label: t.share, numeric: true }],
  rows: r.answers.map((a, i) => [labels[i], num(l, a.count), pct(l, a.share)]),
  id: 'answers-table',
})}
<p><a href="/console/polls/${poll.id}/results.csv" download>${t.csv}</a> <small>${t.csvHelp}</small></p>
</section>
<section aria-labelledby="region-h">
<h2 id="region-h">${t.byRegion}</h2>
${poll.type === 'choice' && r.responses > 0 && r.byRegion.length > 0
  ? chart({
      id: 'poll-regions',
      title: t.byRegion,
      type: 'bar',
      labels: r.byRegion.map((g) => g.region ?? t.noRegion),
      series: labels.map((label, i) => ({ label, data: r.byRegion.map((g) => g.answers[i]?.count ?? 0), stack: 'answers' })),
      format: 'count',
      stacked: true,
    })
  : null}
${table({
  caption: t.byRegion,
  columns: [t.region, { label: t.invited, numeric: true }, { label: t.reached, numeric: true }, { label: t.responses, numeric: true }, { label: t.rate, numeric: true }, ...regionCols],
  rows: r.byRegion.map((g) => [
    g.region ?? t.noRegion,
    num(l, g.invited),
    num(l, g.reached),
    num(l, g.responses),
    pct(l, g.responseRate),
    ...(poll.type === 'nps' ? [num(l, g.nps ?? null, 1)] : g.answers.map((a) => num(l, a.count))),
  ]),
  empty: t.noneRegion,
  id: 'region-table',
})}
</section>
<section aria-labelledby="channel-h">
<h2 id="channel-h">${t.byChannel}</h2>
${r.responses > 0
  ? chart({ id: 'poll-channels', title: t.byChannel, type: 'bar', labels: Object.keys(r.byChannel).map((ch) => t.channels(ch)), series: [{ label: t.responses, data: Object.values(r.byChannel), color: 'green' }], format: 'count', horizontal: true })
  : null}
${table({
  caption: t.byChannel,
  columns: [t.channel, { label: t.responses, numeric: true }],
  rows: Object.entries(r.byChannel).map(([ch, n]) => [t.channels(ch), num(l, n)]),
  empty: t.none,
  id: 'channel-table',
})}
</section>`;
}
