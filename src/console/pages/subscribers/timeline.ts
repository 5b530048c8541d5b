import type { ConsoleContext } from '../../context';
import { num, when } from '../../format';
import { html, type Html } from '../../html';
import { texts } from '../../i18n';
import { table } from '../../ui/table';
import type { TimelineEntry } from '../../../subscribers/timeline-store';

const T = texts(
  {
    heading: 'Timeline',
    caption: 'What happened to this subscriber, newest first',
    empty: 'Nothing has happened with this subscriber yet.',
    colWhen: 'When',
    colWhat: 'What',
    colDetail: 'Details',
    session: (channel: string) => `${channel} session`,
    sessionDetail: (flow: string, screens: string, end: string) => `menu ${flow}, ${screens} screens, ${end}`,
    active: 'still open',
    smsOut: 'SMS sent',
    smsIn: 'SMS received',
    parts: (n: string) => `${n} part(s)`,
    call: 'Call',
    seconds: (n: string) => `${n} s`,
    billing: 'Billing',
    finding: 'CRM finding',
    intervention: 'CRM intervention',
    holdout: 'held out (control group)',
    via: (ch: string) => `by ${ch}`,
    forFinding: (k: string) => `for ${k}`,
  },
  {
    heading: 'Historia',
    caption: 'Yaliyomtokea mteja huyu, ya karibuni kwanza',
    empty: 'Bado hakuna kilichotokea kwa mteja huyu.',
    colWhen: 'Lini',
    colWhat: 'Nini',
    colDetail: 'Maelezo',
    session: (channel: string) => `Kipindi cha ${channel}`,
    sessionDetail: (flow: string, screens: string, end: string) => `menyu ${flow}, skrini ${screens}, ${end}`,
    active: 'bado kinaendelea',
    smsOut: 'SMS imetumwa',
    smsIn: 'SMS imepokelewa',
    parts: (n: string) => `sehemu ${n}`,
    call: 'Simu',
    seconds: (n: string) => `sekunde ${n}`,
    billing: 'Malipo',
    finding: 'Ugunduzi wa CRM',
    intervention: 'Hatua ya CRM',
    holdout: 'kikundi cha udhibiti (hakikutumiwa)',
    via: (ch: string) => `kwa ${ch}`,
    forFinding: (k: string) => `kwa ajili ya ${k}`,
  },
);

const list = (parts: Array<string | null | undefined | false>) => parts.filter((p): p is string => !!p).join(' · ');

function describe(c: ConsoleContext, e: TimelineEntry): [string, string] {
  const t = T(c.lang);
  switch (e.kind) {
    case 'session':
      return [t.session(e.channel.toUpperCase()), t.sessionDetail(e.flowId, num(c.lang, e.hops), e.status === 'active' ? t.active : (e.endReason ?? e.status))];
    case 'sms_out':
      return [t.smsOut, list([`“${e.text}”`, e.status, e.reason, t.parts(num(c.lang, e.parts)), e.source])];
    case 'sms_in':
      return [t.smsIn, e.text === null ? '' : `“${e.text}”`];
    case 'call':
      return [t.call, list([e.flowId, e.status, e.reason, e.durationSeconds === null ? null : t.seconds(num(c.lang, e.durationSeconds))])];
    case 'billing':
      return [t.billing, list([e.serviceId, e.type, e.amountMinor === null ? null : `${num(c.lang, e.amountMinor / 100, 2)} ${e.currency ?? ''}`.trim(), e.reason])];
    case 'finding':
      return [t.finding, list([e.finding, e.reason, e.status])];
    case 'intervention':
      return [t.intervention, list([e.intervention, t.forFinding(e.finding), e.arm === 'holdout' ? t.holdout : t.via(e.channel), e.status])];
  }
}

/** The timeline section of a subscriber's profile. */
export function timelineSection(c: ConsoleContext, entries: TimelineEntry[]): Html {
  const t = T(c.lang);
  const rows = entries.map((e) => {
    const [what, detail] = describe(c, e);
    return [html`<time datetime="${new Date(e.at).toISOString()}">${when(c.lang, e.at, c.timeZone)}</time>`, what, detail];
  });
  return html`<section aria-labelledby="timeline-h"><h2 id="timeline-h">${t.heading}</h2>
${table({ caption: t.caption, columns: [t.colWhen, t.colWhat, t.colDetail], rows, empty: t.empty, id: 'timeline' })}</section>`;
}
