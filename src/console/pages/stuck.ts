import type { FastifyInstance } from 'fastify';
import { ctx, sendHtml, type ConsoleContext, type ConsoleDeps } from '../context';
import { num, pct, when } from '../format';
import { html, type Html } from '../html';
import { texts, type Lang } from '../i18n';
import { page } from '../layout';
import { chart } from '../ui/chart';
import { field } from '../ui/field';
import { rangeForm, rangeFrom } from '../ui/range';
import { table } from '../ui/table';
import { datesLine, limitFrom, moreLink, queryOf, runReport, subscriberLinks, type SubscriberLink } from './report-page';

const T = texts(
  {
    title: 'Stuck subscribers',
    lead: 'Who keeps getting lost in the menus, what were they looking for, and did the shortcut we sent them reach them?',
    limit: 'Subscribers to list',
    total: 'Stuck subscribers in these dates',
    topTitle: 'Menus people get stuck in most',
    menu: 'Menu they were after',
    flow: 'Flow',
    shortcut: 'Shortcut',
    subscribers: 'Subscribers',
    noTop: 'Nobody got stuck in these dates.',
    listTitle: 'Who is stuck (newest first)',
    subscriber: 'Subscriber',
    found: 'Found',
    why: 'Why',
    sought: 'Looking for',
    channel: 'Channel',
    stuckSessions: 'Stuck sessions',
    firstGo: 'Found at first go',
    done: 'What we did',
    none: 'No stuck subscriber in these dates.',
    shown: (n: string, total: string) => `Showing ${n} of ${total}.`,
    unknownMenu: 'menu not known',
  },
  {
    title: 'Waliokwama',
    lead: 'Ni nani wanaopotea kwenye menyu mara kwa mara, walikuwa wakitafuta nini, na je njia ya mkato tuliyowatumia iliwafikia?',
    limit: 'Idadi ya wateja wa kuorodhesha',
    total: 'Wateja waliokwama katika tarehe hizi',
    topTitle: 'Menyu ambazo watu hukwama zaidi',
    menu: 'Menyu waliyoitafuta',
    flow: 'Menyu kuu',
    shortcut: 'Njia ya mkato',
    subscribers: 'Wateja',
    noTop: 'Hakuna aliyekwama katika tarehe hizi.',
    listTitle: 'Waliokwama (wa karibuni kwanza)',
    subscriber: 'Mteja',
    found: 'Aligunduliwa',
    why: 'Sababu',
    sought: 'Alichotafuta',
    channel: 'Njia',
    stuckSessions: 'Vipindi vilivyokwama',
    firstGo: 'Alipata mara ya kwanza',
    done: 'Tulichofanya',
    none: 'Hakuna mteja aliyekwama katika tarehe hizi.',
    shown: (n: string, total: string) => `Inaonyesha ${n} kati ya ${total}.`,
    unknownMenu: 'menyu haijulikani',
  },
);

/** Codes of the stuck report in plain words, per language. */
const NAMES: Record<Lang, Record<'reasons' | 'kinds' | 'arms' | 'delivery' | 'status' | 'channels', Record<string, string>>> = {
  en: {
    reasons: { repeated_stuck: 'stuck again and again', low_discovery: 'rarely finds advice at the first go' },
    kinds: { education_sms: 'shortcut SMS', voice_guidance: 'guidance call', nudge: 'nudge', save: 'save message', winback: 'win-back' },
    arms: { treatment: 'sent', holdout: 'held back on purpose (comparison group)' },
    delivery: {
      queued: 'waiting to be sent',
      sending: 'being sent',
      sent: 'sent, no delivery report yet',
      delivered: 'delivered',
      failed: 'failed',
      expired: 'expired',
      rejected: 'rejected',
      undeliverable: 'undeliverable',
      blocked: 'blocked (opted out or quiet hours)',
      answered: 'answered',
      dialling: 'calling',
      not_answered: 'not answered',
      held_out: 'not sent (comparison group)',
    },
    status: { open: 'waiting', acted: 'acted on', holdout: 'comparison group', ineligible: 'not eligible', expired: 'expired' },
    channels: { ussd: 'USSD', ivr: 'Voice (IVR)', sms: 'SMS' },
  },
  sw: {
    reasons: { repeated_stuck: 'amekwama tena na tena', low_discovery: 'mara chache hupata ushauri mara ya kwanza' },
    kinds: { education_sms: 'SMS ya njia ya mkato', voice_guidance: 'simu ya mwongozo', nudge: 'ukumbusho', save: 'ujumbe wa kumbakiza', winback: 'ujumbe wa kumrudisha' },
    arms: { treatment: 'imetumwa', holdout: 'haikutumwa kwa makusudi (kundi la kulinganisha)' },
    delivery: {
      queued: 'inasubiri kutumwa',
      sending: 'inatumwa',
      sent: 'imetumwa, bado hakuna ripoti ya kufika',
      delivered: 'imefika',
      failed: 'imeshindwa',
      expired: 'muda umeisha',
      rejected: 'imekataliwa',
      undeliverable: 'haiwezi kufika',
      blocked: 'imezuiwa (amejiondoa au saa za utulivu)',
      answered: 'imejibiwa',
      dialling: 'inapiga',
      not_answered: 'haikujibiwa',
      held_out: 'haikutumwa (kundi la kulinganisha)',
    },
    status: { open: 'inasubiri', acted: 'imeshughulikiwa', holdout: 'kundi la kulinganisha', ineligible: 'hastahili', expired: 'muda umeisha' },
    channels: { ussd: 'USSD', ivr: 'Sauti (IVR)', sms: 'SMS' },
  },
};

type Sought = { flowId: string | null; nodeId: string | null; topic: string | null; shortcut: string | null };
type Item = {
  msisdn: string;
  detectedAt: string;
  reason: string;
  channel: string | null;
  sought: Sought;
  stuckSessions: number | null;
  firstAttemptRate: number | null;
  status: string;
  intervention?: { kind: string; arm: string; status: string | null; delivery: string | null };
};
type Top = { flowId: string | null; nodeId: string | null; topic: string | null; shortcut: string | null; subscribers: number };
type Stuck = { subscribers: number; mostSought: Top[]; list: Item[] };

const named = (map: Record<string, string>, code: string | null | undefined) => (code ? (map[code] ?? code) : '–');

/** What was done about a finding: the intervention, its arm, and what became of the message or call. */
function done(lang: Lang, item: Item): string {
  const n = NAMES[lang];
  const i = item.intervention;
  if (!i) return named(n.status, item.status);
  if (i.arm === 'holdout') return `${named(n.kinds, i.kind)}: ${named(n.arms, 'holdout')}`;
  return `${named(n.kinds, i.kind)}: ${named(n.delivery, i.delivery ?? i.status)}`;
}

function topMenus(lang: Lang, top: Top[]): Html {
  const t = T(lang);
  const label = (m: Top) => m.topic ?? (m.nodeId ? `${m.flowId} / ${m.nodeId}` : t.unknownMenu);
  return html`<section id="most-sought"><h2>${t.topTitle}</h2>
${top.length > 0
  ? chart({ id: 'stuck-menus', title: t.topTitle, type: 'bar', horizontal: true, format: 'count', labels: top.slice(0, 20).map(label), series: [{ label: t.subscribers, data: top.slice(0, 20).map((m) => m.subscribers), color: 'amber' }] })
  : null}
${table({
  caption: t.topTitle,
  columns: [t.menu, t.flow, t.shortcut, { label: t.subscribers, numeric: true }],
  rows: top.map((m) => [label(m), m.flowId ?? '–', m.shortcut ? html`<code>${m.shortcut}</code>` : '–', num(lang, m.subscribers)]),
  empty: t.noTop,
})}
</section>`;
}

function who(c: ConsoleContext, link: SubscriberLink, r: Stuck, q: Record<string, string | undefined>, limit: number): Html {
  const t = T(c.lang);
  const n = NAMES[c.lang];
  const rows = r.list.map((i) => [
    link(i.msisdn, c.msisdn(i.msisdn)),
    when(c.lang, i.detectedAt, c.timeZone),
    named(n.reasons, i.reason),
    i.sought.topic ?? t.unknownMenu,
    i.sought.shortcut ? html`<code>${i.sought.shortcut}</code>` : '–',
    named(n.channels, i.channel),
    num(c.lang, i.stuckSessions),
    pct(c.lang, i.firstAttemptRate),
    done(c.lang, i),
  ]);
  return html`<section id="who"><h2>${t.listTitle}</h2>
${table({
  caption: t.listTitle,
  columns: [t.subscriber, t.found, t.why, t.sought, t.shortcut, t.channel, { label: t.stuckSessions, numeric: true }, { label: t.firstGo, numeric: true }, t.done],
  rows,
  empty: t.none,
  id: 'stuck-list',
})}
${r.list.length > 0 ? html`<p><small>${t.shown(num(c.lang, r.list.length), num(c.lang, r.subscribers))}</small></p>` : null}
${r.list.length < r.subscribers ? moreLink(c.lang, '/stuck', q, r.list.length, limit) : null}
</section>`;
}

/** /console/stuck: who is stuck, what they sought, the shortcut sent and whether it arrived; the worst menus. */
export function stuckPages(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get('/stuck', async (req, reply) => {
    const c = ctx(req);
    const t = T(c.lang);
    const q = queryOf(req.query);
    const range = rangeFrom(req.query);
    const limit = limitFrom(c.lang, q.limit, 100);
    const run = limit.error ? { report: null, failure: null } : await runReport(deps.core, 'stuck', { ...range, limit: limit.value });
    const form = rangeForm(c, range, {
      extra: html`<div>${field({ name: 'limit', label: t.limit, type: 'number', value: limit.error ? q.limit : limit.value, error: limit.error, attrs: 'min="1" max="10000" step="1"' })}</div>`,
    });
    const r = run.report as unknown as Stuck | null;
    const link = await subscriberLinks(deps.core, r ? r.list.map((i) => i.msisdn) : []);
    const body = html`${form}
${run.failure ? html`<p class="error" role="alert">${run.failure.message}</p>` : null}
${r
  ? html`${datesLine(c.lang, run.report!)}<div class="cards"><article class="card"><span class="sub">${t.total}</span><strong class="figure">${num(c.lang, r.subscribers)}</strong></article></div>
${topMenus(c.lang, r.mostSought)}
${who(c, link, r, q, limit.value)}`
  : null}`;
    return sendHtml(reply, page(c, { title: t.title, lead: t.lead, body }), limit.error || run.failure ? 400 : 200);
  });
}
