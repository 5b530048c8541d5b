import { createHmac, timingSafeEqual } from 'node:crypto';
import type { CallOutcome } from '../../src/calls/call-service';
import { AppError, badRequest } from '../../src/lib/errors';
import type { VoiceRequest } from '../../src/voice/types';
import { callbackFields, numberField } from './common';
import type { IvrDialect, IvrDialectContext } from './dialect';
import { xmlEscape, type Prompt, type VoicePlan } from './voice';
import { publicBaseUrl } from '../../src/config/ivr';

export const TWILIO_VOICE_PATH = '/ivr/twilio';

const STATUSES = ['queued', 'ringing', 'in-progress', 'completed', 'busy', 'failed', 'no-answer', 'canceled'] as const;
type TwilioCallStatus = (typeof STATUSES)[number];

/** Final call statuses and the call queue's outcome for each. `canceled` is a call withdrawn before it rang through. */
const FINAL: Partial<Record<TwilioCallStatus, CallOutcome['status']>> = { completed: 'completed', busy: 'busy', 'no-answer': 'no_answer', failed: 'failed', canceled: 'failed' };

/**
 * Twilio's request signature: base64 HMAC-SHA1, keyed by the account's auth token, of the full URL
 * Twilio requested followed by every POST parameter sorted by name, each as name then value.
 */
export function twilioSignature(authToken: string, url: string, params: Record<string, unknown>): string {
  let data = url;
  for (const name of Object.keys(params).sort()) {
    const v = params[name];
    const values = Array.isArray(v) ? v.map(String).sort() : [typeof v === 'string' ? v : v == null ? '' : JSON.stringify(v)];
    for (const value of values) data += name + value;
  }
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

/**
 * The same URL with its default port written out, or left out if it was written: Twilio has signed
 * HTTPS URLs both ways, so its own SDKs accept either.
 */
function togglePort(raw: string): string {
  const m = /^(https?):\/\/([^/:?#]+)(:\d+)?(.*)$/i.exec(raw);
  if (!m) return raw;
  const [, scheme, host, port, rest] = m;
  const def = scheme!.toLowerCase() === 'https' ? ':443' : ':80';
  if (!port) return `${scheme}://${host}${def}${rest}`;
  return port === def ? `${scheme}://${host}${rest}` : raw;
}

const forbidden = (message: string) => new AppError(403, 'INVALID_SIGNATURE', message);

/** Twilio TwiML for a plan: prompts inside Gather, then a Redirect Twilio follows when nothing is pressed. */
export function twiml(plan: VoicePlan, opts: { actionUrl: string; timeoutSeconds: number; languages: Record<string, string>; voice: string }): string {
  const say = (p: Extract<Prompt, { kind: 'say' }>) => {
    // ivr.voices names a voice per language; ivr.twilio.voice stays the one for languages it does not list.
    const v = p.voice ?? opts.voice;
    const voice = v ? ` voice="${xmlEscape(v)}"` : '';
    return `<Say language="${xmlEscape(opts.languages[p.lang] ?? p.lang)}"${voice}>${xmlEscape(p.text)}</Say>`;
  };
  // <Play> has no spoken fallback: a missing file is silence, so audio names must be right (docs/voice.md).
  const prompts = plan.prompts.map((p) => (p.kind === 'play' ? `<Play>${xmlEscape(p.url)}</Play>` : say(p))).join('');
  const head = '<?xml version="1.0" encoding="UTF-8"?>';
  if (!plan.gather) return `${head}<Response>${prompts}<Hangup/></Response>`;
  const g = plan.gather;
  const attrs = ['input="dtmf"', `action="${xmlEscape(opts.actionUrl)}"`, 'method="POST"', `timeout="${opts.timeoutSeconds}"`, `finishOnKey="${g.finishOnKey}"`];
  if (g.numDigits !== null) attrs.push(`numDigits="${g.numDigits}"`);
  // Twilio runs the next verb when no key is pressed: the Redirect comes back without Digits, which the
  // session counts as no input (repeat, then goodbye).
  return `${head}<Response><Gather ${attrs.join(' ')}>${prompts}</Gather><Redirect method="POST">${xmlEscape(opts.actionUrl)}</Redirect></Response>`;
}

const HANGUP = '<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/></Response>';
const REJECT = '<?xml version="1.0" encoding="UTF-8"?><Response><Reject/></Response>';
const ACK = '<?xml version="1.0" encoding="UTF-8"?><Response/>';

const field = (f: Record<string, string>, name: string, re: RegExp, required: boolean): string | null => {
  const v = f[name]?.trim();
  if (!v) {
    if (required) throw badRequest('MISSING_FIELD', `Form field ${name} is required.`);
    return null;
  }
  if (!re.test(v)) throw badRequest('INVALID_FIELD', `Form field ${name} is malformed.`);
  return v;
};

/**
 * POST /ivr/twilio: Twilio's voice webhook (an inbound call, an answered outbound call, Gather's
 * action with Digits, the no-input Redirect) and its status callbacks (a final CallStatus closes the
 * session and reports the outbound outcome). Every request must carry a valid X-Twilio-Signature.
 */
export const twilioVoice: IvrDialect = {
  name: 'twilio',
  path: TWILIO_VOICE_PATH,
  contentTypes: ['application/x-www-form-urlencoded'],
  replyType: 'text/xml; charset=utf-8',
  authenticate(req, ctx: IvrDialectContext) {
    const tw = ctx.config.ivr.twilio;
    if (!tw.authToken) throw forbidden('ivr.twilio.authToken is not set, so no Twilio request can be verified.');
    const given = req.headers['x-twilio-signature'];
    if (typeof given !== 'string' || given === '') throw forbidden('X-Twilio-Signature is missing.');
    const params = typeof req.body === 'object' && req.body !== null ? (req.body as Record<string, unknown>) : {};
    // Twilio signs the URL it requested: our public base URL and the path and query as received.
    const url = `${publicBaseUrl(ctx.config)}${req.url}`;
    const actual = Buffer.from(given);
    const matches = (u: string) => {
      const expected = Buffer.from(twilioSignature(tw.authToken, u, params));
      return expected.length === actual.length && timingSafeEqual(expected, actual);
    };
    if (!matches(url) && !matches(togglePort(url))) throw forbidden('X-Twilio-Signature does not match this request.');
    if (tw.accountSid && params.AccountSid !== tw.accountSid) throw forbidden('The request is for another Twilio account.');
  },
  parse(req, ctx) {
    const f = callbackFields(req);
    const callRef = field(f, 'CallSid', /^[A-Za-z0-9]{1,64}$/, true)!;
    const status = field(f, 'CallStatus', /^[a-z-]{1,16}$/, true) as TwilioCallStatus;
    if (!STATUSES.includes(status)) throw badRequest('INVALID_FIELD', `Form field CallStatus must be one of ${STATUSES.join(', ')}.`);
    const direction = (field(f, 'Direction', /^[a-z-]{1,16}$/, false) ?? 'inbound').startsWith('outbound') ? ('outbound' as const) : ('inbound' as const);
    if (f.Direction && !['inbound', 'outbound-api', 'outbound-dial'].includes(f.Direction)) throw badRequest('INVALID_FIELD', 'Form field Direction must be inbound, outbound-api or outbound-dial.');
    const common = {
      callRef,
      direction,
      caller: field(f, 'From', /^[^<>]{1,64}$/, false),
      called: field(f, 'To', /^[^<>]{1,64}$/, false),
      callId: field(f, 'callId', /^[A-Za-z0-9_.:-]{1,128}$/, false),
      ownNumber: ctx.config.ivr.twilio.callerId,
    };
    const final = FINAL[status];
    if (final) {
      const outcome = { status: final, hangupCause: status === 'completed' ? null : status, durationSeconds: numberField(f.CallDuration) };
      return { kind: 'ended', ...common, outcome } satisfies VoiceRequest;
    }
    // queued / ringing / in-progress from a status callback say nothing the call queue acts on.
    if (f.CallbackSource === 'call-progress-events') return { kind: 'reply', body: ACK };
    const digits = field(f, 'Digits', /^[0-9*#]{1,40}$/, false);
    return { kind: 'call', ...common, digits, fields: { caller: 'Form field From', called: 'Form field To' } } satisfies VoiceRequest;
  },
  render(answer, ctx) {
    if (answer.kind === 'reject') return REJECT;
    if (answer.kind === 'done') return HANGUP;
    const tw = ctx.config.ivr.twilio;
    return twiml(answer.plan, { actionUrl: ctx.callbackUrl(TWILIO_VOICE_PATH), timeoutSeconds: ctx.config.ivr.digitTimeoutSeconds, languages: tw.languages, voice: tw.voice });
  },
};
