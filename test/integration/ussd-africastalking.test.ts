import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { AUTH, testGateway, type TestGateway } from '../helpers/gateway';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/ussd/${name}`, import.meta.url), 'utf8');
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

let gw: TestGateway;
afterEach(async () => gw?.stop());

/** Posts an Africa's Talking hop; `text` is the whole history so far, as AT sends it. */
async function at(sessionId: string, text: string, phoneNumber = '+254711082001') {
  const res = await gw.app.inject({
    method: 'POST',
    url: '/ussd/africastalking',
    headers: FORM,
    payload: new URLSearchParams({ sessionId, serviceCode: '*384*1#', phoneNumber, networkCode: '63902', text }).toString(),
  });
  return res;
}

async function events(msisdn: string) {
  const res = await gw.app.inject({ method: 'GET', url: `/api/v1/subscribers/${encodeURIComponent(msisdn)}/events?limit=100`, headers: AUTH });
  expect(res.statusCode).toBe(200);
  return (res.json() as Array<{ type: string; nodeId?: string; detail?: Record<string, unknown> }>).reverse();
}

describe("Africa's Talking USSD dialect", () => {
  it('greets a first-time subscriber with the language menu from the raw fixture and replies CON', async () => {
    gw = await testGateway();
    const res = await gw.app.inject({ method: 'POST', url: '/ussd/africastalking', headers: FORM, payload: fixture('at-first.txt') });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toMatch(/^CON /);
    expect(res.body).toContain('English');
    expect(res.body).toContain('Kiswahili');
    const second = await gw.app.inject({ method: 'POST', url: '/ussd/africastalking', headers: FORM, payload: fixture('at-second.txt') });
    expect(second.body).toMatch(/^CON /);
    expect(second.body).toContain('Crop advice');
  });

  it('walks to maize planting advice, replaying the growing history, and logs exactly the steps taken', async () => {
    gw = await testGateway();
    const texts = ['', '1', '1*1', '1*1*1', '1*1*1*1'];
    const bodies: string[] = [];
    for (const t of texts) bodies.push((await at('walk-1', t)).body);
    expect(bodies.slice(0, 4).every((b) => b.startsWith('CON '))).toBe(true);
    expect(bodies[2]).toContain('Maize');
    expect(bodies[4]!.toLowerCase()).toContain('plant');
    for (const b of bodies) expect(b.length - 4).toBeLessThanOrEqual(182);

    const ev = await events('+254711082001');
    const types = ev.map((e) => e.type);
    expect(types[0]).toBe('session_start');
    // language menu, main menu, crop menu, maize menu: one `menu` each; then the content.
    expect(types.filter((t) => t === 'menu')).toHaveLength(4);
    expect(types.filter((t) => t === 'content')).toHaveLength(1);
    expect(types.at(-1)).toBe('content');
    expect(types).toContain('profile_update');
    const sessionIds = new Set(ev.map((e) => (e as { sessionId?: string }).sessionId));
    expect(sessionIds.size).toBe(1);
  });

  it('remembers the language: the next session starts at the main menu in Kiswahili', async () => {
    gw = await testGateway();
    await at('lang-1', '');
    await at('lang-1', '2');
    const res = await at('lang-2', '');
    expect(res.body).toMatch(/^CON /);
    expect(res.body).not.toContain('English');
    expect(res.body).toMatch(/Ushauri|mazao/i);
    const profile = await gw.app.inject({ method: 'GET', url: '/api/v1/subscribers/0711082001', headers: AUTH });
    expect(profile.json()).toMatchObject({ msisdn: '+254711082001', language: 'sw', operator: '63902' });
  });

  it('jumps straight to the node on a shortcut dial (extra digits arrive as the first text)', async () => {
    gw = await testGateway();
    await gw.app.inject({ method: 'PATCH', url: '/api/v1/subscribers/+254711082002', headers: AUTH, payload: { language: 'en' } });
    const res = await gw.app.inject({ method: 'POST', url: '/ussd/africastalking', headers: FORM, payload: fixture('at-shortcut.txt') });
    expect(res.body).toMatch(/^CON /);
    expect(res.body).toContain('Maize');
    const ev = await events('+254711082002');
    expect(ev[0]).toMatchObject({ type: 'session_start', detail: expect.objectContaining({ shortcut: true }) });
  });

  it('treats letters, emoji and 500 characters as invalid input and ends politely on the third try', async () => {
    gw = await testGateway();
    await at('inv-1', '');
    await at('inv-1', '1');
    const a = await at('inv-1', '1*abc');
    expect(a.body).toMatch(/^CON /);
    expect(a.body).toContain('Crop advice');
    const b = await at('inv-1', '1*abc*😀');
    expect(b.body).toMatch(/^CON /);
    const c = await at('inv-1', `1*abc*😀*${'9'.repeat(500)}`);
    expect(c.statusCode).toBe(200);
    expect(c.body).toMatch(/^END /);
    const ev = await events('+254711082001');
    expect(ev.filter((e) => e.type === 'input_invalid')).toHaveLength(3);
    expect(ev.at(-1)).toMatchObject({ type: 'session_end', detail: expect.objectContaining({ reason: 'max_invalid' }) });
  });

  it('answers END with a short message for an unknown service code', async () => {
    gw = await testGateway();
    const res = await gw.app.inject({
      method: 'POST',
      url: '/ussd/africastalking',
      headers: FORM,
      payload: 'sessionId=x1&serviceCode=%2A999%23&phoneNumber=%2B254711082009&networkCode=63902&text=',
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/^END .*not in use/);
  });

  it('rejects missing fields (400), JSON (415) and oversized bodies (413) without writing anything', async () => {
    gw = await testGateway({ server: { bodyLimit: 2048 } });
    const missing = await gw.app.inject({ method: 'POST', url: '/ussd/africastalking', headers: FORM, payload: fixture('at-missing-phone.txt') });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toEqual({ error: { code: 'MISSING_FIELD', message: expect.stringContaining('phoneNumber') } });
    const badNumber = await gw.app.inject({ method: 'POST', url: '/ussd/africastalking', headers: FORM, payload: 'sessionId=a&serviceCode=%2A384%2A1%23&phoneNumber=hello&text=' });
    expect(badNumber.statusCode).toBe(400);
    expect(badNumber.json().error.code).toBe('INVALID_MSISDN');
    const json = await gw.app.inject({ method: 'POST', url: '/ussd/africastalking', payload: { sessionId: 'a', phoneNumber: '+254711082001' } });
    expect(json.statusCode).toBe(415);
    expect(json.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const xml = await gw.app.inject({ method: 'POST', url: '/ussd/africastalking', headers: { 'content-type': 'application/octet-stream' }, payload: 'x' });
    expect(xml.statusCode).toBe(415);
    const big = await gw.app.inject({ method: 'POST', url: '/ussd/africastalking', headers: FORM, payload: `sessionId=a&serviceCode=x&phoneNumber=%2B254711082001&text=${'1'.repeat(5000)}` });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('PAYLOAD_TOO_LARGE');
    const count = await gw.core.database.get<{ n: number }>(sql`SELECT (SELECT count(*) FROM subscribers) + (SELECT count(*) FROM sessions) + (SELECT count(*) FROM usage_events) AS n`);
    expect(count?.n).toBe(0);
  });
});
