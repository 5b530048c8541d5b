import { XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { atXml, classifyOutcome, parseAtVoice, type AtVoiceRequest } from '../../channels/ivr/africastalking';
import { numberFromUri, vxmlDocument } from '../../channels/ivr/vxml';
import type { VoicePlan } from '../../channels/ivr/voice';
import { RateLimiter } from '../../src/calls/rate-limiter';

const final = (over: Partial<AtVoiceRequest>): AtVoiceRequest => ({
  sessionId: 's',
  active: false,
  outbound: true,
  callerNumber: null,
  destinationNumber: null,
  dtmfDigits: null,
  durationInSeconds: 0,
  amount: 0,
  currencyCode: 'KES',
  hangupCause: null,
  callSessionState: null,
  clientRequestId: null,
  ...over,
});

describe("Africa's Talking final requests", () => {
  it.each([
    [{ hangupCause: 'NO_ANSWER', callSessionState: 'NotAnswered' }, 'no_answer'],
    [{ hangupCause: 'NO_USER_RESPONSE' }, 'no_answer'],
    [{ hangupCause: 'SUBSCRIBER_ABSENT' }, 'no_answer'],
    [{ hangupCause: 'USER_BUSY' }, 'busy'],
    [{ hangupCause: 'CALL_REJECTED' }, 'busy'],
    [{ hangupCause: 'UNALLOCATED_NUMBER' }, 'failed'],
    [{ hangupCause: 'NORMAL_CLEARING', durationInSeconds: 35 }, 'completed'],
    [{ hangupCause: 'NORMAL_CLEARING', durationInSeconds: 0 }, 'no_answer'],
    [{ hangupCause: null, callSessionState: null }, 'failed'],
  ] as const)('%o is %s', (over, expected) => {
    expect(classifyOutcome(final(over))).toBe(expected);
  });

  it('parses the form and rejects what Africa\'s Talking never sends', () => {
    expect(parseAtVoice({ sessionId: 'ATVId_1', isActive: '1', direction: 'Outbound', dtmfDigits: '12#', durationInSeconds: '5', amount: '0.50' })).toMatchObject({
      active: true,
      outbound: true,
      dtmfDigits: '12#',
      durationInSeconds: 5,
      amount: 0.5,
    });
    expect(() => parseAtVoice({ sessionId: 'x', isActive: '2' })).toThrow(/isActive/);
    expect(() => parseAtVoice({ sessionId: 'x', isActive: '1', direction: 'Sideways' })).toThrow(/direction/);
    expect(() => parseAtVoice({ sessionId: 'x', isActive: '1', dtmfDigits: '1;DROP' })).toThrow(/dtmfDigits/);
  });
});

describe('voice XML documents', () => {
  const plan: VoicePlan = {
    lang: 'en',
    prompts: [
      { kind: 'say', text: 'Beans & peas <cheap> "today"', lang: 'en' },
      { kind: 'play', url: 'https://cdn.example.org/a.mp3?x=1&y=2', fallback: 'Fallback & text', lang: 'en' },
    ],
    gather: { numDigits: 2, finishOnKey: '#', keys: ['1', '12', '0', '*'] },
  };

  it('escapes text and URLs in Africa\'s Talking XML', () => {
    const x = atXml(plan, { callbackUrl: 'https://gw.example.org/ivr/africastalking?secret=a&b', timeoutSeconds: 7 });
    expect(XMLValidator.validate(x)).toBe(true);
    expect(x).toContain('<Say>Beans &amp; peas &lt;cheap&gt; &quot;today&quot;</Say>');
    expect(x).toContain('<GetDigits timeout="7" finishOnKey="#" numDigits="2" callbackUrl="https://gw.example.org/ivr/africastalking?secret=a&amp;b">');
    expect(x).toMatch(/<\/GetDigits><Redirect>/);
  });

  it('writes multi-digit keys as DTMF token sequences and keeps VoiceXML well-formed', () => {
    const x = vxmlDocument(plan, { session: 'vx-1', submitUrl: (e) => `https://gw.example.org/ivr/vxml${e ? `?event=${e}&secret=s` : ''}`, timeoutSeconds: 7 });
    expect(XMLValidator.validate(x)).toBe(true);
    expect(x).toContain('<item>1 2</item>');
    expect(x).toContain('<audio src="https://cdn.example.org/a.mp3?x=1&amp;y=2">Fallback &amp; text</audio>');
    expect(x).toContain('<property name="timeout" value="7s"/>');
    const end = vxmlDocument({ ...plan, gather: null }, { session: 'vx-1', submitUrl: () => '', timeoutSeconds: 7 });
    expect(XMLValidator.validate(end)).toBe(true);
    expect(end).toContain('<disconnect/>');
    expect(end).not.toContain('<field');
  });

  it('reads numbers out of tel: and sip: URIs', () => {
    expect(numberFromUri('tel:+254711000001')).toBe('+254711000001');
    expect(numberFromUri('sip:+254711000001@10.0.0.1;user=phone')).toBe('+254711000001');
    expect(numberFromUri('0711000001')).toBe('0711000001');
  });
});

describe('calls-per-second limiter', () => {
  it('lets through at most the rate per second, without an idle burst', () => {
    let t = 0;
    const lim = new RateLimiter(5, () => t);
    let n = 0;
    while (lim.take()) n++;
    expect(n).toBe(5);
    t += 200;
    expect(lim.take()).toBe(true);
    expect(lim.take()).toBe(false);
    t += 60_000;
    expect(lim.available()).toBe(5);
  });

  it('handles rates below one per second', () => {
    let t = 0;
    const lim = new RateLimiter(0.5, () => t);
    expect(lim.take()).toBe(true);
    expect(lim.take()).toBe(false);
    t += 1000;
    expect(lim.take()).toBe(false);
    t += 1000;
    expect(lim.take()).toBe(true);
  });
});
