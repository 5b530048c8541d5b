import type { CallOutcome } from '../../src/calls/call-service';
import { badRequest } from '../../src/lib/errors';
import type { VoiceRequest } from '../../src/voice/types';
import { callbackFields, numberField } from './common';
import type { IvrDialect } from './dialect';
import { xmlEscape, type Prompt, type VoicePlan } from './voice';

export const AT_VOICE_PATH = '/ivr/africastalking';

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
  // Africa's Talking picks the spoken language through the voice: the one ivr.voices gives the prompt's language.
  const say = (p: Prompt & { kind: 'say' }) => `<Say${p.voice ? ` voice="${xmlEscape(p.voice)}"` : ''}>${xmlEscape(p.text)}</Say>`;
  const prompts = plan.prompts.map((p) => (p.kind === 'play' ? `<Play url="${xmlEscape(p.url)}"/>` : say(p))).join('');
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
export const africasTalkingVoice: IvrDialect = {
  name: 'africastalking',
  path: AT_VOICE_PATH,
  contentTypes: ['application/x-www-form-urlencoded'],
  replyType: 'application/xml; charset=utf-8',
  parse(req, ctx): VoiceRequest {
    const r = parseAtVoice(callbackFields(req));
    const common = {
      callRef: r.sessionId,
      direction: r.outbound ? ('outbound' as const) : ('inbound' as const),
      caller: r.callerNumber,
      called: r.destinationNumber,
      callId: r.clientRequestId,
      ownNumber: ctx.config.ivr.africastalking.callerId,
    };
    if (!r.active) {
      const outcome = { status: classifyOutcome(r), hangupCause: r.hangupCause, durationSeconds: r.durationInSeconds, amount: r.amount, currency: r.currencyCode };
      return { kind: 'ended', ...common, outcome };
    }
    return { kind: 'call', ...common, digits: r.dtmfDigits, fields: { caller: 'Form field callerNumber', called: 'Form field destinationNumber' } };
  },
  render(answer, ctx) {
    if (answer.kind === 'reject') return REJECT;
    if (answer.kind === 'done') return EMPTY;
    return atXml(answer.plan, { callbackUrl: ctx.callbackUrl(AT_VOICE_PATH), timeoutSeconds: ctx.config.ivr.digitTimeoutSeconds });
  },
};
