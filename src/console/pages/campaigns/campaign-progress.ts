import type { Campaign } from '../../../campaigns/campaign-types';
import type { ConsoleContext } from '../../context';
import { num, when } from '../../format';
import { html, raw, type Html } from '../../html';
import { texts } from '../../i18n';
import { csrfField } from '../../layout';
import { table } from '../../ui/table';

// A campaign's progress as GET /api/v1/campaigns/:id/results gives it (CampaignService.results): per run,
// recipients handed over, blocked and why, sent and delivered; refreshed by htmx while it can change.
// And the status buttons: which of start / pause / resume / cancel the status allows.

/** The part of the results JSON this page reads. */
export interface ProgressJson {
  status: Campaign['status'];
  totals: { recipients: number; queued: number; blocked: number; sent: number; delivered: number; byChannel?: Record<'sms' | 'call', { recipients: number; sent: number; delivered: number }> };
  runs: { id: number; dueAt: string | null; status: string; total: number; queued: number; blocked: number; pending: number; sent: number; delivered: number; deferredUntil: string | null; blockedReasons: Record<string, number> }[];
}

const T = texts(
  {
    progress: 'Progress',
    runs: 'Runs',
    recipients: 'Recipients',
    handedOver: 'Handed over',
    handedHelp: 'given to the SMSC queue or the dialler',
    blocked: 'Blocked',
    sent: 'Sent',
    sentHelp: 'accepted by the SMSC, or calls placed',
    delivered: 'Delivered',
    deliveredHelp: 'a delivery receipt, or an answered call',
    pending: 'Still to hand over',
    due: 'Due',
    status: 'Status',
    why: 'Why blocked',
    none: 'No run yet: the first one starts when the schedule says.',
    quietUntil: (t: string) => `waits for quiet hours to end (${t})`,
    reasons: (r: string) => ({ opted_out: 'opted out (STOP)', frequency_cap: 'frequency cap reached' })[r] ?? r.replace(/_/g, ' '),
    runStatus: (s: string) => ({ pending: 'waiting', sending: 'sending', paused: 'paused', done: 'done', cancelled: 'cancelled' })[s] ?? s,
    refreshing: 'This section refreshes itself while the campaign runs.',
    start: 'Start',
    pause: 'Pause',
    resume: 'Resume',
    cancel: 'Cancel campaign',
    actions: 'Actions',
    cancelHelp: 'Cancelling ends the campaign for good; messages already handed over still go.',
    byChannel: 'By channel (each recipient by their best channel)',
    channel: 'Channel',
    sms: 'SMS',
    call: 'Voice call',
  },
  {
    progress: 'Maendeleo',
    runs: 'Awamu',
    recipients: 'Wapokeaji',
    handedOver: 'Zilizokabidhiwa',
    handedHelp: 'zilizopewa foleni ya SMSC au kipiga simu',
    blocked: 'Zilizozuiwa',
    sent: 'Zilizotumwa',
    sentHelp: 'zilizokubaliwa na SMSC, au simu zilizopigwa',
    delivered: 'Zilizofika',
    deliveredHelp: 'risiti ya kufika, au simu iliyopokelewa',
    pending: 'Bado kukabidhiwa',
    due: 'Muda',
    status: 'Hali',
    why: 'Sababu ya kuzuiwa',
    none: 'Bado hakuna awamu: ya kwanza huanza ratiba inaposema.',
    quietUntil: (t: string) => `inasubiri saa za utulivu kuisha (${t})`,
    reasons: (r: string) => ({ opted_out: 'walijiondoa (STOP)', frequency_cap: 'kikomo cha idadi ya jumbe kimefikiwa' })[r] ?? r.replace(/_/g, ' '),
    runStatus: (s: string) => ({ pending: 'inasubiri', sending: 'inatuma', paused: 'imesitishwa', done: 'imekamilika', cancelled: 'imeghairiwa' })[s] ?? s,
    refreshing: 'Sehemu hii hujisasisha kampeni inapoendelea.',
    start: 'Anza',
    pause: 'Sitisha',
    resume: 'Endelea',
    cancel: 'Ghairi kampeni',
    actions: 'Vitendo',
    cancelHelp: 'Kughairi humaliza kampeni kabisa; jumbe zilizokwisha kukabidhiwa bado zitatumwa.',
    byChannel: 'Kwa njia (kila mpokeaji kwa njia yake bora)',
    channel: 'Njia',
    sms: 'SMS',
    call: 'Simu ya sauti',
  },
);

/** A campaign's status in the reader's language. */
export function statusName(c: ConsoleContext, s: Campaign['status']): string {
  const names = c.lang === 'sw'
    ? { draft: 'rasimu', scheduled: 'imepangwa', running: 'inaendelea', paused: 'imesitishwa', completed: 'imekamilika', cancelled: 'imeghairiwa' }
    : { draft: 'draft', scheduled: 'scheduled', running: 'running', paused: 'paused', completed: 'completed', cancelled: 'cancelled' };
  return names[s];
}

/** The status as a badge. */
export function statusBadge(c: ConsoleContext, s: Campaign['status']): Html {
  const cls = s === 'running' || s === 'completed' ? 'good' : s === 'paused' ? 'warn' : s === 'cancelled' ? 'bad' : '';
  return html`<span class="badge ${cls}">${statusName(c, s)}</span>`;
}

/** Statuses in which the figures still change (the section refreshes itself). */
const LIVE: Campaign['status'][] = ['scheduled', 'running'];

function card(label: string, figure: string, sub?: string): Html {
  return html`<article class="card"><span class="sub">${label}</span><span class="figure">${figure}</span>${sub ? html`<span class="sub">${sub}</span>` : null}</article>`;
}

/** The progress section (also the htmx fragment of GET /console/campaigns/:id/progress). */
export function progressSection(c: ConsoleContext, id: string, r: ProgressJson): Html {
  const t = T(c.lang);
  const l = c.lang;
  const live = LIVE.includes(r.status);
  const pending = r.runs.reduce((a, x) => a + x.pending, 0);
  const refresh = live ? raw(` hx-get="/console/campaigns/${encodeURIComponent(id)}/progress" hx-trigger="every 5s" hx-swap="outerHTML"`) : '';
  const reasons = (x: ProgressJson['runs'][number]) => {
    const parts = Object.entries(x.blockedReasons).map(([k, n]) => `${t.reasons(k)}: ${num(l, n)}`);
    if (x.deferredUntil) parts.push(t.quietUntil(when(l, x.deferredUntil, c.timeZone)));
    return parts.join('; ') || '–';
  };
  return html`<section id="progress" aria-labelledby="progress-h"${refresh}>
<h2 id="progress-h">${t.progress}</h2>
${live ? html`<p><small>${t.refreshing}</small></p>` : null}
<div class="cards">
${card(t.recipients, num(l, r.totals.recipients))}
${card(t.handedOver, num(l, r.totals.queued), t.handedHelp)}
${card(t.blocked, num(l, r.totals.blocked))}
${card(t.sent, num(l, r.totals.sent), t.sentHelp)}
${card(t.delivered, num(l, r.totals.delivered), t.deliveredHelp)}
${card(t.pending, num(l, pending))}
</div>
${table({
  caption: t.runs,
  columns: [
    t.due,
    t.status,
    { label: t.recipients, numeric: true },
    { label: t.handedOver, numeric: true },
    { label: t.blocked, numeric: true },
    { label: t.sent, numeric: true },
    { label: t.delivered, numeric: true },
    { label: t.pending, numeric: true },
    t.why,
  ],
  rows: r.runs.map((x) => [when(l, x.dueAt, c.timeZone), t.runStatus(x.status), num(l, x.total), num(l, x.queued), num(l, x.blocked), num(l, x.sent), num(l, x.delivered), num(l, x.pending), reasons(x)]),
  empty: t.none,
  id: 'runs-table',
})}
${r.totals.byChannel
  ? table({
      caption: t.byChannel,
      columns: [t.channel, { label: t.recipients, numeric: true }, { label: t.sent, numeric: true }, { label: t.delivered, numeric: true }],
      rows: (['sms', 'call'] as const).map((ch) => {
        const x = r.totals.byChannel![ch];
        return [t[ch], num(l, x.recipients), num(l, x.sent), num(l, x.delivered)];
      }),
      id: 'by-channel-table',
    })
  : null}
</section>`;
}

/** The buttons the status allows (editors only). */
export function statusActions(c: ConsoleContext, campaign: Campaign): Html | null {
  if (!c.can('editor')) return null;
  const t = T(c.lang);
  const s = campaign.status;
  const actions: ('start' | 'pause' | 'resume' | 'cancel')[] = [];
  if (s === 'draft') actions.push('start');
  if (s === 'scheduled' || s === 'running') actions.push('pause');
  if (s === 'paused') actions.push('resume');
  if (s !== 'completed' && s !== 'cancelled') actions.push('cancel');
  if (actions.length === 0) return null;
  const base = `/console/campaigns/${encodeURIComponent(campaign.id)}`;
  return html`<section aria-labelledby="actions-h"><h2 id="actions-h">${t.actions}</h2>
<div class="actions">${actions.map(
    (a) => html`<form method="post" action="${base}/${a}">${csrfField(c)}<button type="submit"${a === 'cancel' ? raw(' class="contrast"') : ''}>${t[a]}</button></form>`,
  )}</div>
${actions.includes('cancel') ? html`<p><small>${t.cancelHelp}</small></p>` : null}
</section>`;
}
