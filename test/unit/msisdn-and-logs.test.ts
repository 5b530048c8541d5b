import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { maskMsisdn, normalizeMsisdn } from '../../src/lib/msisdn';
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
