import type { ArmLine, ArmsResultsJson } from '../../../campaigns/arms-results';
import type { ConsoleContext } from '../../context';
import { interval, num, pct, when } from '../../format';
import { html, type Html } from '../../html';
import { texts } from '../../i18n';
import { chart } from '../../ui/chart';
import { table } from '../../ui/table';
import { goalInWords } from './arms-form';

// The "offers tested" results of a campaign with arms: per arm (and the holdout) the conversion rate with
// its 95% interval as bars, the same figures in a table, and the winner sentence. Figures are
// core.armsResults.results(), the same call GET /api/v1/campaigns/:id/results makes.

const T = texts(
  {
    title: 'Offers tested',
    goal: 'Goal',
    holdoutShare: 'Holdout',
    counted: 'Conversions counted',
    notCounted: 'not yet (the CRM pass counts them)',
    chartTitle: 'Conversion rate per arm with its 95% interval',
    interval: '95% interval',
    estimate: 'Rate',
    arm: 'Arm',
    offer: 'Offer',
    assigned: 'Assigned',
    reached: 'Reached',
    conversions: 'Conversions',
    rate: 'Rate (95% interval)',
    uplift: 'Uplift over holdout (95% interval)',
    cost: 'Cost',
    perConversion: 'Cost per conversion',
    pending: 'Window open',
    holdout: 'Holdout (sent nothing)',
    pts: (v: string) => `${v} points`,
    pendingNote: (n: string, until: string) => `${n} recipients are still inside their window (until ${until}); conversions may still rise.`,
    winner: (arm: string) => `Winner: ${arm}. It beats the holdout and every other arm; the 95% intervals of the differences exclude zero.`,
    no_data: 'No winner yet: nobody has been assigned.',
    no_holdout: 'No winner can be called: there is no holdout to measure the gain against.',
    no_uplift: 'No winner yet: not enough data; no arm beats the holdout clearly (its interval includes zero).',
    overlap: 'No winner yet: not enough data; the intervals of the best arms overlap.',
    reachNote: 'Reached = SMS delivered or call answered. Cost = SMS parts accepted and calls answered, at the configured prices.',
  },
  {
    title: 'Ofa zinazojaribiwa',
    goal: 'Lengo',
    holdoutShare: 'Kundi la kulinganisha',
    counted: 'Mafanikio yamehesabiwa',
    notCounted: 'bado (uchambuzi wa CRM huyahesabu)',
    chartTitle: 'Kiwango cha mafanikio kwa kila kikundi na kipindi chake cha 95%',
    interval: 'Kipindi cha 95%',
    estimate: 'Kiwango',
    arm: 'Kikundi',
    offer: 'Ofa',
    assigned: 'Waliopangwa',
    reached: 'Waliofikiwa',
    conversions: 'Mafanikio',
    rate: 'Kiwango (kipindi cha 95%)',
    uplift: 'Faida juu ya kundi la kulinganisha (kipindi cha 95%)',
    cost: 'Gharama',
    perConversion: 'Gharama kwa kila mafanikio',
    pending: 'Muda bado wazi',
    holdout: 'Kundi la kulinganisha (halikutumiwa kitu)',
    pts: (v: string) => `alama ${v}`,
    pendingNote: (n: string, until: string) => `Wapokeaji ${n} bado wako ndani ya muda wao (hadi ${until}); mafanikio bado yanaweza kuongezeka.`,
    winner: (arm: string) => `Mshindi: ${arm}. Kinashinda kundi la kulinganisha na kila kikundi kingine; vipindi vya 95% vya tofauti haviguswi na sifuri.`,
    no_data: 'Bado hakuna mshindi: hakuna aliyepangwa bado.',
    no_holdout: 'Mshindi hawezi kutajwa: hakuna kundi la kulinganisha la kupimia faida.',
    no_uplift: 'Bado hakuna mshindi: data haitoshi; hakuna kikundi kinachoshinda kundi la kulinganisha waziwazi (kipindi chake kinajumuisha sifuri).',
    overlap: 'Bado hakuna mshindi: data haitoshi; vipindi vya vikundi bora vinaingiliana.',
    reachNote: 'Waliofikiwa = SMS zilizowasilishwa au simu zilizopokelewa. Gharama = sehemu za SMS zilizokubaliwa na simu zilizopokelewa, kwa bei zilizowekwa.',
  },
);

const points = (lang: ConsoleContext['lang'], v: number | null | undefined) => (v === null || v === undefined ? '–' : `${v > 0 ? '+' : ''}${num(lang, v * 100, 1)}`);

/** The results section of a campaign with arms. */
export function armsResultsSection(c: ConsoleContext, r: ArmsResultsJson): Html {
  const t = T(c.lang);
  const lines: ArmLine[] = [...r.arms, r.holdout];
  const label = (a: ArmLine) => (a === r.holdout ? t.holdout : a.name);
  const money = (v: number | null) => (v === null ? '–' : `${r.currency} ${num(c.lang, v, 2)}`);
  const sentence = r.winner ? t.winner(r.winner) : t[r.reasonCode === 'winner' ? 'overlap' : r.reasonCode];
  return html`<section aria-labelledby="arms-h" id="arms-results">
<h2 id="arms-h">${t.title}</h2>
<dl class="facts">
<dt>${t.goal}</dt><dd>${goalInWords(c, r.goal)}</dd>
<dt>${t.holdoutShare}</dt><dd>${num(c.lang, r.holdoutPercent)}%</dd>
<dt>${t.counted}</dt><dd>${r.conversionsCountedAt ? when(c.lang, r.conversionsCountedAt, c.timeZone) : t.notCounted}</dd>
</dl>
<p id="arms-winner"><strong>${sentence}</strong></p>
${r.pending.assignments > 0 ? html`<p id="arms-pending">${t.pendingNote(num(c.lang, r.pending.assignments), when(c.lang, r.pending.windowsOpenUntil, c.timeZone))}</p>` : null}
${chart({
  id: 'arms-rates',
  title: t.chartTitle,
  type: 'bar',
  horizontal: true,
  format: 'percent',
  labels: lines.map(label),
  series: [
    { label: t.interval, data: lines.map((a) => a.ci95), color: 'blue' },
    { label: t.estimate, data: lines.map((a) => a.rate), type: 'line', points: true, color: 'red' },
  ],
})}
${table({
  caption: t.title,
  id: 'arms-table',
  columns: [t.arm, t.offer, ...[t.assigned, t.reached, t.conversions].map((label) => ({ label, numeric: true })), t.rate, t.uplift, ...[t.cost, t.perConversion, t.pending].map((label) => ({ label, numeric: true }))],
  rows: lines.map((a) => [
    label(a),
    [a.serviceId, a.price].filter(Boolean).join(' · ') || '–',
    num(c.lang, a.assigned),
    num(c.lang, a.reached),
    num(c.lang, a.conversions),
    `${pct(c.lang, a.rate)} (${interval(c.lang, a.ci95?.[0], a.ci95?.[1])})`,
    a.uplift ? `${t.pts(points(c.lang, a.uplift.value))} (${points(c.lang, a.uplift.ci95?.[0])} – ${points(c.lang, a.uplift.ci95?.[1])})` : '–',
    money(a.cost),
    money(a.costPerConversion),
    num(c.lang, a.pending),
  ]),
})}
<p><small>${t.reachNote}</small></p>
</section>`;
}
