import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AUTH, testGateway, type TestGateway } from '../helpers/gateway';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/ussd/${name}`, import.meta.url), 'utf8');
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

let gws: TestGateway[] = [];
afterEach(async () => {
  for (const g of gws) await g.stop();
  gws = [];
});
async function gateway(...args: Parameters<typeof testGateway>) {
  const g = await testGateway(...args);
  gws.push(g);
  return g;
}

function at(gw: TestGateway, sessionId: string, text: string, phoneNumber = '+254711082001') {
  return gw.app.inject({
    method: 'POST',
    url: '/ussd/africastalking',
    headers: FORM,
    payload: new URLSearchParams({ sessionId, serviceCode: '*384*1#', phoneNumber, networkCode: '63902', text }).toString(),
  });
}

async function lastEvents(gw: TestGateway, msisdn = '+254711082001') {
  const res = await gw.app.inject({ method: 'GET', url: `/api/v1/subscribers/${encodeURIComponent(msisdn)}/events`, headers: AUTH });
  return res.json() as Array<{ type: string; sessionId?: string; nodeId?: string; detail?: Record<string, unknown> }>;
}

describe('USSD sessions', () => {
  it('offers to continue a dropped session on a re-dial within the window, and continues', async () => {
    const gw = await gateway();
    for (const t of ['', '1', '1*1', '1*1*1']) await at(gw, 'drop-1', t); // deep in the maize menu
    gw.clock.advance(60_000);
    const offer = await at(gw, 'drop-2', '');
    expect(offer.body).toMatch(/^CON /);
    expect(offer.body).toMatch(/1\. Continue where you left off/);
    expect(offer.body).toMatch(/2\. Start again/);
    const cont = await at(gw, 'drop-2', '1');
    expect(cont.body).toContain('Planting');
    const ev = await lastEvents(gw);
    const dropped = ev.find((e) => e.type === 'session_end');
    expect(dropped?.detail?.reason).toBe('dropped');
  });

  it('starts again from the main menu when the subscriber chooses 2, and offers nothing after the window', async () => {
    const gw = await gateway();
    for (const t of ['', '1', '1*1']) await at(gw, 'drop-a', t);
    gw.clock.advance(30_000);
    await at(gw, 'drop-b', '');
    const fresh = await at(gw, 'drop-b', '2');
    expect(fresh.body).toContain('Crop advice');
    await at(gw, 'drop-b', '2*1');
    gw.clock.advance(6 * 60_000);
    const later = await at(gw, 'drop-c', '');
    expect(later.body).not.toMatch(/Continue where you left off/);
  });

  it('loses nothing across a gateway restart mid-session (same database file)', async () => {
    const dbPath = path.join(mkdtempSync(path.join(os.tmpdir(), 'vasgw-test-')), 'gw.db');
    const first = await gateway({}, { dbPath });
    await at(first, 'restart-1', '');
    await at(first, 'restart-1', '1');
    await first.stop();
    gws = [];
    const second = await gateway({}, { dbPath });
    const res = await at(second, 'restart-1', '1*1');
    expect(res.body).toMatch(/^CON /);
    expect(res.body).toContain('Maize');
    const ev = await lastEvents(second);
    expect(new Set(ev.map((e) => e.sessionId)).size).toBe(1);
    expect(ev.filter((e) => e.type === 'session_start')).toHaveLength(1);
  });

  it('ends quiet sessions as timeout', async () => {
    const gw = await gateway();
    await at(gw, 'quiet-1', '');
    gw.clock.advance(181_000);
    expect(await gw.core.sessions.sweep()).toBe(1);
    const ev = await lastEvents(gw);
    expect(ev[0]).toMatchObject({ type: 'session_end', detail: expect.objectContaining({ reason: 'timeout' }) });
    expect(await gw.core.sessions.sweep()).toBe(0);
  });

  it('serves the generic JSON dialect with the latest input only', async () => {
    const gw = await gateway();
    const first = await gw.app.inject({ method: 'POST', url: '/ussd/json', payload: JSON.parse(fixture('json-first.json')) });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ end: false, text: expect.stringContaining('English') });
    const second = await gw.app.inject({ method: 'POST', url: '/ussd/json', payload: JSON.parse(fixture('json-second.json')) });
    expect(second.json()).toMatchObject({ end: false, text: expect.stringContaining('Crop advice') });
    const bad = await gw.app.inject({ method: 'POST', url: '/ussd/json', payload: { sessionId: 'j', serviceCode: '*384*1#' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('msisdn');
    const form = await gw.app.inject({ method: 'POST', url: '/ussd/json', headers: FORM, payload: 'a=b' });
    expect(form.statusCode).toBe(415);
    const broken = await gw.app.inject({ method: 'POST', url: '/ussd/json', headers: { 'content-type': 'application/json' }, payload: '{"sessionId":' });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().error.code).toBe('INVALID_JSON');
  });

  it('takes a shortcut in the JSON dialect service code', async () => {
    const gw = await gateway();
    await gw.app.inject({ method: 'PATCH', url: '/api/v1/subscribers/0711082005', headers: AUTH, payload: { language: 'en' } });
    const res = await gw.app.inject({ method: 'POST', url: '/ussd/json', payload: { sessionId: 's1', msisdn: '0711082005', serviceCode: '*384*1*1*1#', input: '' } });
    expect(res.json().text).toContain('Planting');
  });
});
