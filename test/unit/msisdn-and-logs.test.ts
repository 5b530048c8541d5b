import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { maskMsisdn, msisdnProblem, normalizeMsisdn, requireMsisdn } from '../../src/lib/msisdn';
import { createLogger } from '../../src/lib/logger';

describe('MSISDN normalization', () => {
  it.each([
    ['+254712345678', '+254712345678'],
    ['254712345678', '+254712345678'],
    ['0712345678', '+254712345678'],
    ['00254712345678', '+254712345678'],
    [' 0712 345 678 ', '+254712345678'],
    ['712345678', '+254712345678'],
  ])('%s -> %s', (raw, e164) => expect(normalizeMsisdn(raw, '254')).toBe(e164));

  it.each(['hello', '', '+', '12', '+0712345678', '07123456789012345678'])('rejects %j', (raw) => expect(normalizeMsisdn(raw, '254')).toBeNull());

  // Each country's own lengths and number ranges (libphonenumber's metadata), not one rule for all.
  it.each([
    ['+255712345678', '254', '+255712345678'], // Tanzania
    ['+2348031234567', '254', '+2348031234567'], // Nigeria: ten digits after the code
    ['08031234567', '234', '+2348031234567'], // national Nigerian number with Nigeria as the default
    ['+254112345678', '254', '+254112345678'], // Kenya's 01x mobile range
    ['(0712) 345-678', '254', '+254712345678'],
  ])('accepts %s (default +%s) as %s', (raw, cc, e164) => expect(normalizeMsisdn(raw, cc)).toBe(e164));

  it.each([
    ['+25471234567', /is not a valid number in Kenya \(\+254\); a mobile number there looks like \+2547\d{8}/],
    ['071234567', /not a valid number in Kenya \(\+254\)/],
    ['+254712345678901', /too long for a number in Kenya \(\+254\)/],
    ['+254912345678', /not a valid number in Kenya \(\+254\)/],
    ['+2557123456', /too short for a number in Tanzania \(\+255\)/],
    ['+99912345678', /no known country calling code/],
    ['07l2345678', /is not a phone number/],
  ])('rejects %s: %s', (raw, why) => {
    expect(normalizeMsisdn(raw, '254')).toBeNull();
    expect(msisdnProblem(raw, '254')).toMatch(why);
    expect(() => requireMsisdn(raw, '254', 'to')).toThrowError(why);
  });
});

describe('logs', () => {
  it('never carry a full MSISDN or a secret', () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
    const log = createLogger('info', sink);
    log.info({ msisdn: '+254712345678', to: '+254712345679', password: 'hunter22', nested: { apiKey: 'k-123', phoneNumber: '+254712345670' } }, 'hop');
    const out = lines.join('');
    expect(out).not.toContain('+254712345678');
    expect(out).not.toContain('+254712345679');
    expect(out).not.toContain('+254712345670');
    expect(out).not.toContain('hunter22');
    expect(out).not.toContain('k-123');
    expect(out).toContain(maskMsisdn('+254712345678'));
  });
});

describe('request logs', () => {
  it('never carry the callback secret from the query string', async () => {
    const { default: Fastify } = await import('fastify');
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
    const app = Fastify({ loggerInstance: createLogger('info', sink) });
    app.get('/ussd/x', async () => 'ok');
    await app.inject({ url: '/ussd/x?secret=hunter22-secret' });
    await app.close();
    const out = lines.join('');
    expect(out).toContain('/ussd/x');
    expect(out).not.toContain('hunter22-secret');
  });
});
