import { Writable } from 'node:stream';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/logger';
import { maskMsisdn as m } from '../../src/lib/msisdn';
import { ManualClock } from '../../src/lib/clock';
import { buildGateway, type Gateway } from '../../src/server';
import { AUTH, testConfig } from '../helpers/gateway';

// The request log as an operator reads it: the gateway's own logger, request logging on, as `vasgw serve` runs.
const lines: string[] = [];
const sink = new Writable({
  write(chunk, _enc, cb) {
    lines.push(String(chunk));
    cb();
  },
});
let gw: Gateway;
beforeAll(async () => {
  gw = await buildGateway({ config: testConfig(), clock: new ManualClock(Date.parse('2026-11-20T09:00:00Z')), log: createLogger('info', sink), logRequests: true });
  await gw.app.ready();
});
afterAll(async () => {
  await gw.stop();
});

/** The URLs the request log wrote for one request. */
async function loggedUrls(opts: InjectOptions): Promise<string[]> {
  lines.length = 0;
  await gw.app.inject(opts);
  const urls = lines.map((l) => (JSON.parse(l) as { req?: { url?: string } }).req?.url).filter((u): u is string => typeof u === 'string');
  expect(urls.length).toBeGreaterThan(0);
  return urls;
}

describe('the request log never carries a full MSISDN or a secret from the URL', () => {
  it.each([
    ['a number in the path', '/api/v1/subscribers/254799887766/events', `/api/v1/subscribers/${m('254799887766')}/events`],
    ['an E.164 number, percent-encoded', '/api/v1/subscribers/%2B254799887766', `/api/v1/subscribers/${m('+254799887766')}`],
    ['a national number', '/api/v1/subscribers/0799887766/events?limit=5', `/api/v1/subscribers/${m('0799887766')}/events?limit=5`],
    ['digits hidden as percent escapes', '/api/v1/subscribers/%32%35%34%37%39%39%38%38%37%37%36%36', `/api/v1/subscribers/${m('254799887766')}`],
    ['a number in the query', '/api/v1/messages?to=%2B254799887766&limit=2', `/api/v1/messages?to=${m('+254799887766')}&limit=2`],
    ['a number written with spaces in the query', '/api/v1/messages?to=0799+887+766', `/api/v1/messages?to=${m('0799887766')}`],
    ['a number with broken escapes beside it', '/api/v1/subscribers/254799887766?x=%E0%A4%A&%ZZ=0799887766', `/api/v1/subscribers/${m('254799887766')}?x=%E0%A4%A&%ZZ=${m('0799887766')}`],
  ])('%s', async (_what, url, expected) => {
    const urls = await loggedUrls({ method: 'GET', url, headers: AUTH });
    for (const u of urls) {
      expect(u).toBe(expected);
      expect(u).not.toMatch(/799887766/);
    }
  });

  it('keeps secrets in the query out, masks numbers beside them, and keeps the path', async () => {
    const urls = await loggedUrls({
      method: 'POST',
      url: '/ussd/africastalking?secret=hunter22-secret&phoneNumber=%2B254799887766&token=tok-0123456789abcdef&apiKey=k-9876',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'sessionId=s1&serviceCode=*384*1%23&phoneNumber=%2B254799887766&text=',
    });
    const all = lines.join('');
    expect(all).not.toContain('hunter22-secret');
    expect(all).not.toContain('tok-0123456789abcdef');
    expect(all).not.toContain('k-9876');
    expect(all).not.toMatch(/799887766/);
    expect(urls[0]).toBe(`/ussd/africastalking?secret=[redacted]&phoneNumber=${m('+254799887766')}&token=[redacted]&apiKey=[redacted]`);
  });

  it('leaves ids alone (their digit runs are not phone numbers)', async () => {
    const urls = await loggedUrls({ method: 'GET', url: '/api/v1/messages/msg_mi7abc000000000001', headers: AUTH });
    expect(urls[0]).toBe('/api/v1/messages/msg_mi7abc000000000001');
  });
});
