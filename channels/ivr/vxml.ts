import { badRequest, notFound } from '../../src/lib/errors';
import type { VoiceRequest } from '../../src/voice/types';
import { callbackFields } from './common';
import type { IvrDialect, IvrDialectContext, LocalReply } from './dialect';
import { keysToInput, xmlEscape, type Prompt, type VoicePlan } from './voice';

export const VXML_PATH = '/ivr/vxml';
const submitUrl = (ctx: IvrDialectContext, event?: string) => ctx.callbackUrl(VXML_PATH, event ? { event } : {});
const SESSION_RE = /^[A-Za-z0-9_.:-]{1,128}$/;
/** What a nomatch (a key outside the grammar) feeds the engine: a key no screen accepts, so it is an invalid try. */
const NOMATCH_INPUT = '#';

const HEAD = '<?xml version="1.0" encoding="UTF-8"?>';
const vxmlOpen = (lang: string) => `<vxml version="2.1" xmlns="http://www.w3.org/2001/vxml" xml:lang="${xmlEscape(lang)}">`;

function promptXml(p: Prompt): string {
  const lang = ` xml:lang="${xmlEscape(p.lang)}"`;
  // SSML <voice> inside the prompt picks the configured voice of the language (ivr.voices).
  const voiced = (inner: string) => (p.voice ? `<voice name="${xmlEscape(p.voice)}">${inner}</voice>` : inner);
  // <audio> plays the file and speaks its content only when the file cannot be fetched.
  if (p.kind === 'play') return `<prompt${lang}><audio src="${xmlEscape(p.url)}">${voiced(xmlEscape(p.fallback))}</audio></prompt>`;
  return `<prompt${lang}>${voiced(xmlEscape(p.text))}</prompt>`;
}

/** A DTMF grammar accepting exactly `keys` (multi-digit keys as token sequences), or any digits. */
function grammarXml(keys: string[]): string {
  if (keys.length === 0) return '<grammar mode="dtmf" src="builtin:dtmf/digits"/>';
  const items = keys.map((k) => `<item>${xmlEscape(k.split('').join(' '))}</item>`).join('');
  return `<grammar mode="dtmf" version="1.0" root="keys" xmlns="http://www.w3.org/2001/06/grammar"><rule id="keys" scope="public"><one-of>${items}</one-of></rule></grammar>`;
}

/**
 * A VoiceXML 2.1 document for a plan: one form whose field collects the screen's keys with a DTMF
 * grammar, prompts with audio and text fallback, noinput / nomatch handlers and a hang-up catch that
 * report back, and a submit carrying the session id. A final plan speaks and disconnects.
 */
export function vxmlDocument(plan: VoicePlan, opts: { session: string; submitUrl: (event?: string) => string; timeoutSeconds: number }): string {
  const prompts = plan.prompts.map(promptXml).join('');
  if (!plan.gather) return `${HEAD}${vxmlOpen(plan.lang)}<form id="bye"><block>${prompts}<disconnect/></block></form></vxml>`;
  const submit = (event: string | undefined, namelist: string) => `<submit next="${xmlEscape(opts.submitUrl(event))}" method="post" namelist="${namelist}"/>`;
  return (
    `${HEAD}${vxmlOpen(plan.lang)}` +
    `<var name="session" expr="'${opts.session}'"/>` +
    `<catch event="connection.disconnect.hangup">${submit('hangup', 'session')}</catch>` +
    `<form id="screen"><field name="choice">` +
    `<property name="timeout" value="${opts.timeoutSeconds}s"/><property name="termchar" value="${plan.gather.finishOnKey}"/>` +
    grammarXml(plan.gather.keys) +
    prompts +
    `<noinput>${submit('noinput', 'session')}</noinput>` +
    `<nomatch>${submit('nomatch', 'session')}</nomatch>` +
    `<filled>${submit(undefined, 'session choice')}</filled>` +
    `</field></form></vxml>`
  );
}

/** A document that reads the caller and called numbers from the platform's session and submits them. */
function bootstrapDocument(submitUrl: string): string {
  return (
    `${HEAD}${vxmlOpen('en')}<form id="start"><block>` +
    `<var name="caller" expr="session.connection.remote.uri"/><var name="called" expr="session.connection.local.uri"/>` +
    `<submit next="${xmlEscape(submitUrl)}" method="post" namelist="caller called"/>` +
    `</block></form></vxml>`
  );
}

const DONE = `${HEAD}${vxmlOpen('en')}<form id="done"><block><exit/></block></form></vxml>`;

/** The number in a platform URI: `tel:+254711...`, `sip:+254711...@host;user=phone`, or plain digits. */
export function numberFromUri(raw: string): string {
  return raw
    .trim()
    .replace(/^(tel|sip|sips):/i, '')
    .replace(/[@;].*$/, '');
}

const first = (f: Record<string, string>, names: string[]): string | null => {
  for (const n of names) {
    const v = f[n]?.trim();
    if (v) return v;
  }
  return null;
};

/**
 * GET|POST /ivr/vxml for operator IVR platforms. The first request carries `caller` and `called`
 * (aliases `ani`/`dnis`; `callId` optional); without them the gateway answers a bootstrap document that
 * submits `session.connection.remote.uri` and `local.uri`. Every later request carries `session` and
 * either `choice` or `event` (noinput, nomatch, hangup).
 */
export const vxmlVoice: IvrDialect = {
  name: 'vxml',
  path: VXML_PATH,
  methods: ['GET', 'POST'],
  contentTypes: ['application/x-www-form-urlencoded'],
  replyType: 'application/voicexml+xml; charset=utf-8',
  parse(req, ctx): VoiceRequest | LocalReply {
    const f = callbackFields(req);
    const session = first(f, ['session']);
    if (session) {
      if (!SESSION_RE.test(session)) throw badRequest('INVALID_FIELD', 'session must be 1-128 letters, digits, or . _ : -');
      const event = f.event ?? null;
      if (event === 'hangup') return { kind: 'hangup', callRef: session };
      if (event === 'noinput') return { kind: 'keys', callRef: session, input: { noInput: true } };
      if (event === 'nomatch') return { kind: 'keys', callRef: session, input: { latest: NOMATCH_INPUT } };
      if (event !== null) throw badRequest('INVALID_FIELD', 'event must be noinput, nomatch or hangup.');
      const choice = (f.choice ?? '').replace(/\s+/g, '');
      if (choice !== '' && !/^[0-9*#]{1,40}$/.test(choice)) throw badRequest('INVALID_FIELD', 'choice may hold only 0-9, * and #.');
      return { kind: 'keys', callRef: session, input: keysToInput(choice) };
    }
    const callerRaw = first(f, ['caller', 'ani', 'callerNumber']);
    if (!callerRaw) return { kind: 'reply', body: bootstrapDocument(submitUrl(ctx)) };
    const calledRaw = first(f, ['called', 'dnis', 'destinationNumber']);
    const callId = first(f, ['callId']) ?? ctx.newCallRef();
    if (!SESSION_RE.test(callId)) throw badRequest('INVALID_FIELD', 'callId must be 1-128 letters, digits, or . _ : -');
    return {
      kind: 'call',
      callRef: callId,
      direction: 'inbound',
      caller: numberFromUri(callerRaw),
      called: calledRaw ? numberFromUri(calledRaw) : null,
      callId: null,
      digits: null,
      fields: { caller: 'caller', called: 'called (the number the caller dialled)' },
    };
  },
  render(answer, ctx) {
    if (answer.kind === 'done') return DONE;
    if (answer.kind === 'reject') throw notFound('UNKNOWN_NUMBER', `No flow answers calls to ${answer.called.slice(0, 40)}.`);
    return vxmlDocument(answer.plan, { session: answer.callRef, submitUrl: (event) => submitUrl(ctx, event), timeoutSeconds: ctx.config.ivr.digitTimeoutSeconds });
  },
};
