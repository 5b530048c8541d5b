import type { ConsoleContext } from '../../context';
import { num, pct, when } from '../../format';
import { html, type Html } from '../../html';
import { texts } from '../../i18n';
import { table } from '../../ui/table';

// The profile's best-channel block: the verdict and the evidence behind it, read from the same
// `crm.bestChannel` GET /api/v1/subscribers/:msisdn gives (docs/best-channel.md).

const T = texts(
  {
    heading: 'Best channel',
    verdict: (ch: string) => `Works best: ${ch}`,
    unknown: 'not known yet (too little evidence)',
    names: (ch: string) => ({ sms: 'SMS', call: 'voice call', ussd: 'USSD menu' })[ch] ?? ch,
    colChannel: 'Channel',
    colAttempts: 'Attempts',
    colResponses: 'Responses',
    colRate: 'Response rate',
    colScore: 'Rate towards the average',
    updated: (at: string) => `Last updated ${at}.`,
    help: 'Attempts: SMS delivered to the phone, calls dialled. Responses: an answer by SMS or a visit to the USSD menu within hours of an SMS, a call picked up.',
  },
  {
    heading: 'Njia bora',
    verdict: (ch: string) => `Inafanya kazi vizuri zaidi: ${ch}`,
    unknown: 'bado haijulikani (ushahidi mdogo)',
    names: (ch: string) => ({ sms: 'SMS', call: 'simu ya sauti', ussd: 'menyu ya USSD' })[ch] ?? ch,
    colChannel: 'Njia',
    colAttempts: 'Majaribio',
    colResponses: 'Majibu',
    colRate: 'Kiwango cha majibu',
    colScore: 'Kiwango kuelekea wastani',
    updated: (at: string) => `Ilisasishwa ${at}.`,
    help: 'Majaribio: SMS zilizofika kwenye simu, simu zilizopigwa. Majibu: jibu kwa SMS au kutembelea menyu ya USSD saa chache baada ya SMS, simu iliyopokelewa.',
  },
);

type Evidence = { attempts?: unknown; responses?: unknown; rate?: unknown; score?: unknown };
const n = (v: unknown): number | null => (typeof v === 'number' ? v : null);

/** The best-channel block of a profile, or null when the view has none. */
export function bestChannelBlock(c: ConsoleContext, crm: Record<string, unknown>): Html | null {
  const b = crm.bestChannel as { channel?: unknown; evidence?: Record<string, Evidence>; updatedAt?: unknown } | undefined;
  if (!b || typeof b !== 'object') return null;
  const t = T(c.lang);
  const channel = typeof b.channel === 'string' ? b.channel : 'unknown';
  const rows = Object.entries(b.evidence ?? {}).map(([ch, e]) => [t.names(ch), num(c.lang, n(e.attempts)), num(c.lang, n(e.responses)), pct(c.lang, n(e.rate)), pct(c.lang, n(e.score))]);
  return html`<h3 id="best-channel-h">${t.heading}</h3>
<p id="best-channel">${t.verdict(channel === 'unknown' ? t.unknown : t.names(channel))}</p>
${table({ columns: [t.colChannel, { label: t.colAttempts, numeric: true }, { label: t.colResponses, numeric: true }, { label: t.colRate, numeric: true }, { label: t.colScore, numeric: true }], rows, id: 'crm-best-channel' })}
<p><small>${t.help}${typeof b.updatedAt === 'string' ? ` ${t.updated(when(c.lang, b.updatedAt, c.timeZone))}` : ''}</small></p>`;
}
