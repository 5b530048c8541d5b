import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../src/core';
import { badRequest, notFound } from '../../src/lib/errors';
import { newId } from '../../src/lib/ids';
import type { HopInput } from '../../src/sessions/session-service';
import { callbackFields, callbackUrl, hangupReason, IVR_CHANNEL, planFor, requireContentType } from './common';
import { keysToInput, xmlEscape, type Prompt, type VoicePlan } from './voice';

export const VXML_PATH = '/ivr/vxml';
const DIALECT = 'vxml';
const SESSION_RE = /^[A-Za-z0-9_.:-]{1,128}$/;
/** What a nomatch (a key outside the grammar) feeds the engine: a key no screen accepts, so it is an invalid try. */
const NOMATCH_INPUT = '#';

const HEAD = '<?xml version="1.0" encoding="UTF-8"?>';
const vxmlOpen = (lang: string) => `<vxml version="2.1" xmlns="http://www.w3.org/2001/vxml" xml:lang="${xmlEscape(lang)}">`;

function promptXml(p: Prompt): string {
  const lang = ` xml:lang="${xmlEscape(p.lang)}"`;
  // <audio> plays the file and speaks its content only when the file cannot be fetched.
  if (p.kind === 'play') return `<prompt${lang}><audio src="${xmlEscape(p.url)}">${xmlEscape(p.fallback)}</audio></prompt>`;
  return `<prompt${lang}>${xmlEscape(p.text)}</prompt>`;
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
export function registerVxml(app: FastifyInstance, core: Core): void {
  const seconds = core.metrics.histogram('ivr_callback_seconds', 'Time to answer a voice callback', ['dialect'], [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5]);
  const log = core.log.child({ comp: 'ivr', dialect: DIALECT });
  const send = (reply: FastifyReply, body: string) => reply.type('application/voicexml+xml; charset=utf-8').send(body);
  const submitUrl = (event?: string) => callbackUrl(core, VXML_PATH, event ? { event } : {});
  const timeoutSeconds = core.config.ivr.digitTimeoutSeconds;

  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const started = performance.now();
    requireContentType(req, ['application/x-www-form-urlencoded'], VXML_PATH);
    const f = callbackFields(req);
    try {
      // Everything this request decides commits (group commit) before the platform hears the answer.
      return send(reply, await core.commits.run(() => answer(f)));
    } finally {
      seconds.observe({ dialect: DIALECT }, (performance.now() - started) / 1000);
    }
  };

  const answer = (f: ReturnType<typeof callbackFields>): string => {
    const session = first(f, ['session']);
    if (session) {
      if (!SESSION_RE.test(session)) throw badRequest('INVALID_FIELD', 'session must be 1-128 letters, digits, or . _ : -');
      const externalId = `${DIALECT}:${session}`;
      const s = core.sessions.findByExternal(IVR_CHANNEL, externalId);
      if (!s) throw notFound('UNKNOWN_SESSION', `There is no voice session "${session}".`);
      const event = f.event ?? null;
      if (event === 'hangup') {
        if (s.status === 'active') core.sessions.end(IVR_CHANNEL, externalId, hangupReason(core, externalId), { dialect: DIALECT });
        return DONE;
      }
      let input: HopInput;
      if (event === 'noinput') input = { noInput: true };
      else if (event === 'nomatch') input = { latest: NOMATCH_INPUT };
      else if (event === null) {
        const choice = (f.choice ?? '').replace(/\s+/g, '');
        if (choice !== '' && !/^[0-9*#]{1,40}$/.test(choice)) throw badRequest('INVALID_FIELD', 'choice may hold only 0-9, * and #.');
        input = keysToInput(choice);
      } else throw badRequest('INVALID_FIELD', 'event must be noinput, nomatch or hangup.');
      const msisdn = core.subscribers.findById(s.subscriberId)?.msisdn;
      if (!msisdn) throw notFound('UNKNOWN_SESSION', `The voice session "${session}" has no subscriber.`);
      const result = core.sessions.hop({ channel: IVR_CHANNEL, externalId, msisdn, entry: { flowId: s.flowId }, input, maxChars: Infinity, maxNoInput: core.config.ivr.noInputRepeats });
      return vxmlDocument(planFor(core, result), { session, submitUrl, timeoutSeconds });
    }

    const callerRaw = first(f, ['caller', 'ani', 'callerNumber']);
    if (!callerRaw) return bootstrapDocument(submitUrl());
    const msisdn = core.subscribers.normalize(numberFromUri(callerRaw));
    if (!msisdn) throw badRequest('INVALID_MSISDN', `caller "${callerRaw.slice(0, 40)}" is not a phone number.`);
    const calledRaw = first(f, ['called', 'dnis', 'destinationNumber']);
    if (!calledRaw) throw badRequest('MISSING_FIELD', 'called (the number the caller dialled) is required.');
    const called = numberFromUri(calledRaw);
    const flow = core.flows.byIvrNumber(called);
    if (!flow) {
      log.info({ destinationNumber: called }, 'VoiceXML call to a number no flow answers');
      throw notFound('UNKNOWN_NUMBER', `No flow answers calls to ${called.slice(0, 40)}.`);
    }
    const callId = first(f, ['callId']) ?? newId('vxc', core.clock.now());
    if (!SESSION_RE.test(callId)) throw badRequest('INVALID_FIELD', 'callId must be 1-128 letters, digits, or . _ : -');
    const result = core.sessions.hop({
      channel: IVR_CHANNEL,
      externalId: `${DIALECT}:${callId}`,
      msisdn,
      entry: { flowId: flow.id },
      input: { latest: null },
      maxChars: Infinity,
      maxNoInput: core.config.ivr.noInputRepeats,
      startDetail: { dialect: DIALECT, direction: 'inbound', number: called },
    });
    return vxmlDocument(planFor(core, result), { session: callId, submitUrl, timeoutSeconds });
  };
  app.get(VXML_PATH, handler);
  app.post(VXML_PATH, handler);
}
