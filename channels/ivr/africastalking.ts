import type { FastifyInstance, FastifyReply } from 'fastify';
import type { CallOutcome } from '../../src/calls/call-service';
import type { Core } from '../../src/core';
import { badRequest } from '../../src/lib/errors';
import type { HopResult } from '../../src/sessions/session-service';
import { callbackFields, callbackUrl, hangupReason, IVR_CHANNEL, numberField, planFor, requireContentType } from './common';
import { keysToInput, xmlEscape, type VoicePlan } from './voice';

export const AT_VOICE_PATH = '/ivr/africastalking';
const DIALECT = 'africastalking';

/** The fields of an Africa's Talking voice callback that the gateway reads. */
export interface AtVoiceRequest {
  sessionId: string;
  active: boolean;
  outbound: boolean;
  callerNumber: string | null;
  destinationNumber: string | null;
  dtmfDigits: string | null;
  durationInSeconds: number | null;
  amount: number | null;
  currencyCode: string | null;
  hangupCause: string | null;
  callSessionState: string | null;
  clientRequestId: string | null;
}

const opt = (f: Record<string, string>, name: string, max = 64): string | null => {
  const v = f[name]?.trim();
  if (!v) return null;
  if (v.length > max) throw badRequest('INVALID_FIELD', `Form field ${name} is longer than ${max} characters.`);
  return v;
};

/** Parses the form Africa's Talking posts; throws 400 naming the missing or malformed field. */
export function parseAtVoice(f: Record<string, string>): AtVoiceRequest {
  const sessionId = opt(f, 'sessionId', 128);
  if (!sessionId) throw badRequest('MISSING_FIELD', 'Form field sessionId is required.');
  const isActive = opt(f, 'isActive', 8);
  if (isActive !== '0' && isActive !== '1') throw badRequest('INVALID_FIELD', 'Form field isActive must be 0 or 1.');
  const direction = (opt(f, 'direction', 16) ?? 'Inbound').toLowerCase();
  if (direction !== 'inbound' && direction !== 'outbound') throw badRequest('INVALID_FIELD', 'Form field direction must be Inbound or Outbound.');
  const digits = opt(f, 'dtmfDigits', 40);
  if (digits !== null && !/^[0-9*#]+$/.test(digits)) throw badRequest('INVALID_FIELD', 'Form field dtmfDigits may hold only 0-9, * and #.');
  return {
    sessionId,
    active: isActive === '1',
    outbound: direction === 'outbound',
    callerNumber: opt(f, 'callerNumber', 40),
    destinationNumber: opt(f, 'destinationNumber', 40),
    dtmfDigits: digits,
    durationInSeconds: numberField(f.durationInSeconds),
    amount: numberField(f.amount),
    currencyCode: opt(f, 'currencyCode', 8),
    hangupCause: opt(f, 'hangupCause', 64),
    callSessionState: opt(f, 'callSessionState', 64),
    clientRequestId: opt(f, 'clientRequestId', 128),
  };
}

// Hang-up causes (Q.850 names, as Africa's Talking reports them) grouped by what the call queue does next.
const NO_ANSWER = new Set(['NO_ANSWER', 'NO_USER_RESPONSE', 'ORIGINATOR_CANCEL', 'SUBSCRIBER_ABSENT', 'RECOVERY_ON_TIMER_EXPIRE', 'ALLOTTED_TIMEOUT', 'MEDIA_TIMEOUT']);
const BUSY = new Set(['USER_BUSY', 'CALL_REJECTED', 'NORMAL_CIRCUIT_CONGESTION', 'SWITCH_CONGESTION']);

/** How an outbound attempt ended, from the final request's duration, hang-up cause and session state. */
export function classifyOutcome(r: AtVoiceRequest): CallOutcome['status'] {
  const cause = (r.hangupCause ?? '').toUpperCase();
  const state = (r.callSessionState ?? '').toLowerCase();
  if ((r.durationInSeconds ?? 0) > 0 && !NO_ANSWER.has(cause) && !BUSY.has(cause)) return 'completed';
  if (BUSY.has(cause) || state === 'busy') return 'busy';
  if (NO_ANSWER.has(cause) || state === 'notanswered' || state === 'no_answer') return 'no_answer';
  if (cause === 'NORMAL_CLEARING' && (r.durationInSeconds ?? 0) > 0) return 'completed';
  if (cause === 'NORMAL_CLEARING' || state === 'completed') return 'no_answer';
  return 'failed';
}

/** Africa's Talking voice XML for a plan: prompts inside GetDigits and a Redirect for when nothing is pressed. */
export function atXml(plan: VoicePlan, opts: { callbackUrl: string; timeoutSeconds: number }): string {
  const prompts = plan.prompts.map((p) => (p.kind === 'play' ? `<Play url="${xmlEscape(p.url)}"/>` : `<Say>${xmlEscape(p.text)}</Say>`)).join('');
  const head = '<?xml version="1.0" encoding="UTF-8"?>';
  if (!plan.gather) return `${head}<Response>${prompts}</Response>`;
  const g = plan.gather;
  const attrs = [`timeout="${opts.timeoutSeconds}"`, `finishOnKey="${g.finishOnKey}"`];
  if (g.numDigits !== null) attrs.push(`numDigits="${g.numDigits}"`);
  attrs.push(`callbackUrl="${xmlEscape(opts.callbackUrl)}"`);
  // With no key pressed Africa's Talking runs the next element; the Redirect brings the call back
  // here without dtmfDigits, which the session counts as no input (repeat, then goodbye).
  return `${head}<Response><GetDigits ${attrs.join(' ')}>${prompts}</GetDigits><Redirect>${xmlEscape(opts.callbackUrl)}</Redirect></Response>`;
}

const EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response/>';
const REJECT = '<?xml version="1.0" encoding="UTF-8"?><Response><Reject/></Response>';

/**
 * POST /ivr/africastalking: inbound calls to a flow's IVR number, answered outbound calls (the queued
 * call's flow), digits after GetDigits, the no-input Redirect, and the final request (`isActive=0`)
 * that closes the session with its duration and cost and reports the outbound call's outcome.
 */
export function registerAfricasTalkingVoice(app: FastifyInstance, core: Core): void {
  const log = core.log.child({ comp: 'ivr', dialect: DIALECT });
  const seconds = core.metrics.histogram('ivr_callback_seconds', 'Time to answer a voice callback', ['dialect'], [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5]);
  const cb = () => callbackUrl(core, AT_VOICE_PATH);
  const xml = (reply: FastifyReply, body: string) => reply.type('application/xml; charset=utf-8').send(body);

  const subscriberNumber = (r: AtVoiceRequest): string | null => {
    // For outbound calls the subscriber is whichever party is not our caller id.
    const own = core.config.ivr.africastalking.callerId.replace(/\D/g, '');
    const order = r.outbound ? [r.destinationNumber, r.callerNumber] : [r.callerNumber];
    for (const raw of order) {
      if (!raw || (r.outbound && own && raw.replace(/\D/g, '') === own)) continue;
      const n = core.subscribers.normalize(raw);
      if (n) return n;
    }
    return null;
  };

  const finalRequest = (r: AtVoiceRequest, externalId: string) => {
    const detail: Record<string, unknown> = { dialect: DIALECT };
    if (r.durationInSeconds !== null) detail.durationSeconds = r.durationInSeconds;
    if (r.amount !== null) detail.amount = r.amount;
    if (r.currencyCode) detail.currency = r.currencyCode;
    if (r.hangupCause) detail.hangupCause = r.hangupCause;
    const call = core.calls.match({ callId: r.clientRequestId, providerRef: r.sessionId, msisdn: r.outbound ? subscriberNumber(r) : null });
    if (call && (r.outbound || call.providerRef === r.sessionId)) {
      core.calls.finished(call.id, {
        status: classifyOutcome(r),
        providerRef: r.sessionId,
        hangupCause: r.hangupCause,
        durationSeconds: r.durationInSeconds,
        amount: r.amount,
        currency: r.currencyCode,
      });
      detail.callId = call.id;
    }
    const s = core.sessions.findByExternal(IVR_CHANNEL, externalId);
    if (s && s.status === 'active') core.sessions.end(IVR_CHANNEL, externalId, hangupReason(core, externalId), detail);
  };

  const firstOutbound = (r: AtVoiceRequest, externalId: string): HopResult | null => {
    const call = core.calls.match({ callId: r.clientRequestId, providerRef: r.sessionId, msisdn: subscriberNumber(r) });
    if (!call) return null;
    const answered = core.calls.answered(call.id, r.sessionId);
    if (!answered) return null;
    const result = core.sessions.hop({
      channel: IVR_CHANNEL,
      externalId,
      msisdn: answered.msisdn,
      entry: answered.startNode ? { flowId: answered.flowId, startNode: answered.startNode } : { flowId: answered.flowId },
      input: { latest: null },
      maxChars: Infinity,
      maxNoInput: core.config.ivr.noInputRepeats,
      startDetail: { dialect: DIALECT, direction: 'outbound', callId: answered.id },
    });
    if (result.sessionId) core.calls.linkSession(answered.id, result.sessionId);
    return result;
  };

  app.post(AT_VOICE_PATH, async (req, reply) => {
    const started = performance.now();
    requireContentType(req, ['application/x-www-form-urlencoded'], AT_VOICE_PATH);
    const r = parseAtVoice(callbackFields(req));
    const externalId = `${DIALECT}:${r.sessionId}`;
    // Everything this callback decides commits (group commit) before the platform hears the answer.
    const answer = (): string => {
      if (!r.active) {
        finalRequest(r, externalId);
        return EMPTY;
      }
      const existing = core.sessions.findByExternal(IVR_CHANNEL, externalId);
      let result: HopResult | null;
      if (existing) {
        const msisdn = core.subscribers.findById(existing.subscriberId)?.msisdn;
        if (!msisdn) throw badRequest('UNKNOWN_SESSION', 'The session of this call has no subscriber.');
        result = core.sessions.hop({
          channel: IVR_CHANNEL,
          externalId,
          msisdn,
          entry: { flowId: existing.flowId },
          input: keysToInput(r.dtmfDigits),
          maxChars: Infinity,
          maxNoInput: core.config.ivr.noInputRepeats,
        });
      } else if (r.outbound) {
        result = firstOutbound(r, externalId);
        if (!result) {
          log.warn({ providerRef: r.sessionId }, 'answered outbound call matches no queued call; hanging up');
          return EMPTY;
        }
      } else {
        if (!r.callerNumber) throw badRequest('MISSING_FIELD', 'Form field callerNumber is required.');
        const msisdn = core.subscribers.normalize(r.callerNumber);
        if (!msisdn) throw badRequest('INVALID_MSISDN', `callerNumber "${r.callerNumber.slice(0, 32)}" is not a phone number.`);
        if (!r.destinationNumber) throw badRequest('MISSING_FIELD', 'Form field destinationNumber is required.');
        const flow = core.flows.byIvrNumber(r.destinationNumber);
        if (!flow) {
          // Rejecting (rather than answering with an apology) costs the caller nothing.
          log.info({ destinationNumber: r.destinationNumber }, 'call to a number no flow answers; rejected');
          return REJECT;
        }
        result = core.sessions.hop({
          channel: IVR_CHANNEL,
          externalId,
          msisdn,
          entry: { flowId: flow.id },
          input: { latest: null },
          maxChars: Infinity,
          maxNoInput: core.config.ivr.noInputRepeats,
          startDetail: { dialect: DIALECT, direction: 'inbound', number: r.destinationNumber },
        });
      }
      return atXml(planFor(core, result), { callbackUrl: cb(), timeoutSeconds: core.config.ivr.digitTimeoutSeconds });
    };
    try {
      return xml(reply, await core.commits.run(answer));
    } finally {
      seconds.observe({ dialect: DIALECT }, (performance.now() - started) / 1000);
    }
  });
}
