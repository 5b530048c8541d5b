import type { FastifyRequest } from 'fastify';
import { XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { africasTalkingVoice } from '../../channels/ivr/africastalking';
import type { IvrDialect, IvrDialectContext } from '../../channels/ivr/dialect';
import { twilioSignature, twilioVoice, twiml } from '../../channels/ivr/twilio';
import type { VoicePlan } from '../../channels/ivr/voice';
import { vxmlVoice } from '../../channels/ivr/vxml';
import { testConfig } from '../helpers/gateway';
import { parseTwiml, signTwilio } from '../helpers/voice';

// Twilio's own worked example of a request signature (docs: "Validating requests", webhooks security).
const VECTOR = {
  token: '12345',
  url: 'https://mycompany.com/myapp.php?foo=1&bar=2',
  params: { CallSid: 'CA1234567890ABCDE', Caller: '+12349013030', Digits: '1234', From: '+12349013030', To: '+18005551212' },
  signature: '0/KCTR6DLpKmkAf8muzZqo1nDgQ=',
};

describe('Twilio request signatures', () => {
  it("reproduces Twilio's documented example", () => {
    expect(twilioSignature(VECTOR.token, VECTOR.url, VECTOR.params)).toBe(VECTOR.signature);
    expect(signTwilio(VECTOR.token, VECTOR.url, VECTOR.params)).toBe(VECTOR.signature);
  });

  it('changes with the URL, any parameter, or the token', () => {
    expect(twilioSignature(VECTOR.token, `${VECTOR.url}&x=1`, VECTOR.params)).not.toBe(VECTOR.signature);
    expect(twilioSignature(VECTOR.token, VECTOR.url, { ...VECTOR.params, Digits: '1235' })).not.toBe(VECTOR.signature);
    expect(twilioSignature('54321', VECTOR.url, VECTOR.params)).not.toBe(VECTOR.signature);
  });
});

describe('TwiML', () => {
  const opts = { actionUrl: 'https://gw.example.org/ivr/twilio?secret=a&b', timeoutSeconds: 7, languages: { en: 'en-GB' }, voice: 'Polly.Amy' };
  const plan: VoicePlan = {
    lang: 'en',
    prompts: [
      { kind: 'say', text: 'Beans & peas <cheap>', lang: 'en' },
      { kind: 'play', url: 'https://cdn.example.org/a.mp3?x=1&y=2', fallback: 'x', lang: 'en' },
      { kind: 'say', text: 'Chagua', lang: 'sw' },
    ],
    gather: { numDigits: 2, finishOnKey: '#', keys: ['1', '12', '*'] },
  };

  it('wraps Say/Play in a dtmf Gather with a Redirect fallback, escaped, languages mapped', () => {
    const t = parseTwiml(twiml(plan, opts));
    expect(t.gather).toEqual({ input: 'dtmf', numDigits: '2', timeout: '7', finishOnKey: '#', action: opts.actionUrl, method: 'POST' });
    expect(t.redirect).toBe(opts.actionUrl);
    expect(t.says).toEqual([
      { text: 'Beans & peas <cheap>', language: 'en-GB' },
      { text: 'Chagua', language: 'sw' },
    ]);
    expect(t.plays).toEqual(['https://cdn.example.org/a.mp3?x=1&y=2']);
    expect(t.raw).toContain('voice="Polly.Amy"');
    expect(t.hangup).toBe(false);
  });

  it('leaves numDigits out for free input, and ends a final plan with Hangup and no Gather', () => {
    expect(parseTwiml(twiml({ ...plan, gather: { numDigits: null, finishOnKey: '#', keys: [] } }, opts)).gather?.numDigits).toBeUndefined();
    const final = twiml({ ...plan, gather: null }, opts);
    expect(XMLValidator.validate(final)).toBe(true);
    expect(parseTwiml(final)).toMatchObject({ gather: null, redirect: null, hangup: true });
  });
});

/** A request as Fastify hands it to a dialect: parsed form body, query, headers. */
function request(body: Record<string, string>, query: Record<string, string> = {}, method = 'POST'): FastifyRequest {
  return { method, body, query, headers: { 'content-type': 'application/x-www-form-urlencoded' }, url: '/' } as unknown as FastifyRequest;
}

const ctx: IvrDialectContext = {
  config: testConfig({ ivr: { africastalking: { callerId: '+254711082000' }, twilio: { callerId: '+15005550006' } } }),
  callbackUrl: (path) => `https://gw.example.org${path}`,
  newCallRef: () => 'vxc_new',
};

describe('every dialect translates raw payloads into the same voice requests', () => {
  const cases: Array<[string, IvrDialect, Record<string, string>, Record<string, string>, unknown]> = [
    [
      "Africa's Talking inbound call",
      africasTalkingVoice,
      { sessionId: 'ATVId_1', isActive: '1', direction: 'Inbound', callerNumber: '+254711000101', destinationNumber: '+254711082000' },
      {},
      { kind: 'call', callRef: 'ATVId_1', direction: 'inbound', caller: '+254711000101', called: '+254711082000', callId: null, digits: null },
    ],
    [
      "Africa's Talking digits",
      africasTalkingVoice,
      { sessionId: 'ATVId_1', isActive: '1', direction: 'Inbound', callerNumber: '+254711000101', destinationNumber: '+254711082000', dtmfDigits: '2' },
      {},
      { kind: 'call', callRef: 'ATVId_1', digits: '2' },
    ],
    [
      "Africa's Talking final request of an unanswered outbound call",
      africasTalkingVoice,
      { sessionId: 'ATVId_2', isActive: '0', direction: 'Outbound', callerNumber: '+254711082000', destinationNumber: '+254711000202', clientRequestId: 'call_1', durationInSeconds: '0', hangupCause: 'NO_ANSWER' },
      {},
      { kind: 'ended', callRef: 'ATVId_2', direction: 'outbound', callId: 'call_1', ownNumber: '+254711082000', outcome: { status: 'no_answer', hangupCause: 'NO_ANSWER', durationSeconds: 0 } },
    ],
    ['VoiceXML first request', vxmlVoice, { caller: 'tel:+254711000101', called: 'sip:+254711082000@ivr.example;user=phone' }, {}, { kind: 'call', callRef: 'vxc_new', direction: 'inbound', caller: '+254711000101', called: '+254711082000' }],
    ['VoiceXML choice', vxmlVoice, { session: 'vxc_1', choice: '1 2' }, {}, { kind: 'keys', callRef: 'vxc_1', input: { latest: '12' } }],
    ['VoiceXML noinput', vxmlVoice, { session: 'vxc_1' }, { event: 'noinput' }, { kind: 'keys', callRef: 'vxc_1', input: { noInput: true } }],
    ['VoiceXML hang-up', vxmlVoice, { session: 'vxc_1' }, { event: 'hangup' }, { kind: 'hangup', callRef: 'vxc_1' }],
    ['VoiceXML without caller: bootstrap document', vxmlVoice, {}, {}, { kind: 'reply', body: expect.stringContaining('session.connection.remote.uri') }],
    [
      'Twilio inbound call',
      twilioVoice,
      { CallSid: 'CA1', From: '+254711000101', To: '+254711082000', Direction: 'inbound', CallStatus: 'ringing' },
      {},
      { kind: 'call', callRef: 'CA1', direction: 'inbound', caller: '+254711000101', called: '+254711082000', callId: null, digits: null },
    ],
    ['Twilio Gather action', twilioVoice, { CallSid: 'CA1', From: '+254711000101', To: '+254711082000', Direction: 'inbound', CallStatus: 'in-progress', Digits: '1' }, {}, { kind: 'call', digits: '1' }],
    [
      'Twilio answered outbound call',
      twilioVoice,
      { CallSid: 'CA2', From: '+15005550006', To: '+254711000202', Direction: 'outbound-api', CallStatus: 'in-progress' },
      { callId: 'call_2' },
      { kind: 'call', callRef: 'CA2', direction: 'outbound', callId: 'call_2', ownNumber: '+15005550006' },
    ],
    ['Twilio busy', twilioVoice, { CallSid: 'CA2', Direction: 'outbound-api', CallStatus: 'busy', CallDuration: '0' }, { callId: 'call_2' }, { kind: 'ended', callId: 'call_2', outcome: { status: 'busy', hangupCause: 'busy', durationSeconds: 0 } }],
    ['Twilio completed', twilioVoice, { CallSid: 'CA1', Direction: 'inbound', CallStatus: 'completed', CallDuration: '42' }, {}, { kind: 'ended', direction: 'inbound', outcome: { status: 'completed', hangupCause: null, durationSeconds: 42 } }],
    ['Twilio canceled', twilioVoice, { CallSid: 'CA3', Direction: 'outbound-api', CallStatus: 'canceled' }, {}, { kind: 'ended', outcome: { status: 'failed', hangupCause: 'canceled' } }],
    ['Twilio ringing status callback', twilioVoice, { CallSid: 'CA3', Direction: 'outbound-api', CallStatus: 'ringing', CallbackSource: 'call-progress-events' }, {}, { kind: 'reply' }],
  ];
  it.each(cases)('%s', (_name, dialect, body, query, expected) => {
    expect(dialect.parse(request(body, query), ctx)).toMatchObject(expected as object);
  });
});
