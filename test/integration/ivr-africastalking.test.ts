import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { AUTH, testGateway, type TestGateway } from '../helpers/gateway';
import { parseAtXml } from '../helpers/voice';
import { loadFlows } from '../../src/engine/flow-loader';
import type { Flow } from '../../src/engine/types';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/ivr/${name}`, import.meta.url), 'utf8');
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
/** The demo flow's IVR number (flows/crop-advice.yaml entry.ivr). */
const DEMO_NUMBER = '+254711082000';
const CALLER = '+254711000101';

let gw: TestGateway;
afterEach(async () => gw?.stop());

async function post(payload: string) {
  const res = await gw.app.inject({ method: 'POST', url: '/ivr/africastalking', headers: FORM, payload });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/xml/);
  return parseAtXml(res.body);
}

/** One callback of an inbound call: `digits` undefined is the first request or the no-input redirect. */
function call(sessionId: string, digits?: string, caller = CALLER, number = DEMO_NUMBER) {
  const form: Record<string, string> = { isActive: '1', sessionId, direction: 'Inbound', callerNumber: caller, destinationNumber: number };
  if (digits !== undefined) form.dtmfDigits = digits;
  return post(new URLSearchParams(form).toString());
}

function hangUp(sessionId: string, duration = 20, caller = CALLER) {
  return post(
    new URLSearchParams({ isActive: '0', sessionId, direction: 'Inbound', callerNumber: caller, destinationNumber: DEMO_NUMBER, durationInSeconds: String(duration), currencyCode: 'KES', amount: '1.00', hangupCause: 'NORMAL_CLEARING' }).toString(),
  );
}

async function events(msisdn = CALLER) {
  const res = await gw.app.inject({ method: 'GET', url: `/api/v1/subscribers/${encodeURIComponent(msisdn)}/events?limit=1000`, headers: AUTH });
  expect(res.statusCode).toBe(200);
  return (res.json() as Array<{ channel: string; type: string; sessionId?: string; nodeId?: string; detail?: Record<string, unknown> }>).reverse();
}

/** Key paths from the start node to every content node (breadth first: the shortest path). */
function contentPaths(flow: Flow): Map<string, string[]> {
  const paths = new Map<string, string[]>([[flow.start, []]]);
  const queue = [flow.start];
  const out = new Map<string, string[]>();
  while (queue.length) {
    const id = queue.shift()!;
    const node = flow.nodes[id]!;
    const here = paths.get(id)!;
    if (node.type === 'content') out.set(id, here);
    if (node.type !== 'menu') continue;
    node.options.forEach((o, i) => {
      if (paths.has(o.next)) return;
      paths.set(o.next, [...here, String(i + 1)]);
      queue.push(o.next);
    });
  }
  return out;
}

describe("Africa's Talking voice: raw requests", () => {
  it('answers the first request with the language menu inside GetDigits, and a Redirect fallback after it', async () => {
    gw = await testGateway({ ivr: { publicBaseUrl: 'https://gw.example.org' } });
    const x = await post(fixture('at-inbound-first.txt'));
    expect(x.getDigits).toEqual({ numDigits: '1', timeout: '10', finishOnKey: '#', callbackUrl: 'https://gw.example.org/ivr/africastalking' });
    expect(x.redirect).toBe('https://gw.example.org/ivr/africastalking');
    expect(x.text).toContain('For English, press 1.');
    expect(x.text).toContain('Bonyeza 2 kwa Kiswahili.');
  });

  it('takes the digits request, repeats on the no-digits request, and closes the session on the final request', async () => {
    gw = await testGateway();
    await post(fixture('at-inbound-first.txt'));
    const menu = await post(fixture('at-inbound-digits.txt'));
    expect(menu.text).toContain('Welcome to Crop Advice');
    expect(menu.text).toContain('For Crop advice, press 1. For Market prices, press 2.');
    const again = await post(fixture('at-inbound-no-digits.txt'));
    expect(again.text).toBe(menu.text);
    const final = await post(fixture('at-inbound-final.txt'));
    expect(final.raw).toContain('<Response/>');

    const ev = await events();
    expect(ev.every((e) => e.channel === 'ivr')).toBe(true);
    const end = ev.filter((e) => e.type === 'session_end');
    expect(end).toHaveLength(1);
    // Hung up on the main menu without reaching any content: a drop, with what the call cost.
    expect(end[0]!.detail).toMatchObject({ reason: 'dropped', durationSeconds: 47, amount: 2.35, currency: 'KES', hangupCause: 'NORMAL_CLEARING' });
    // A repeated final request changes nothing.
    await post(fixture('at-inbound-final.txt'));
    expect((await events()).filter((e) => e.type === 'session_end')).toHaveLength(1);
  });

  it('rejects a call to a number no flow answers, and refuses malformed callbacks with 4xx', async () => {
    gw = await testGateway();
    const x = await call('unknown-number', undefined, CALLER, '+254700999999');
    expect(x.reject).toBe(true);
    const missing = await gw.app.inject({ method: 'POST', url: '/ivr/africastalking', headers: FORM, payload: 'isActive=1&direction=Inbound' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toEqual({ error: { code: 'MISSING_FIELD', message: 'Form field sessionId is required.' } });
    const json = await gw.app.inject({ method: 'POST', url: '/ivr/africastalking', payload: { sessionId: 'x', isActive: '1' } });
    expect(json.statusCode).toBe(415);
    const badCaller = await gw.app.inject({ method: 'POST', url: '/ivr/africastalking', headers: FORM, payload: 'sessionId=s&isActive=1&direction=Inbound&callerNumber=hello&destinationNumber=%2B254711082000' });
    expect(badCaller.statusCode).toBe(400);
    expect(badCaller.json().error.code).toBe('INVALID_MSISDN');
  });
});

describe('voice sessions', () => {
  it('lets a caller reach every content item of the demo flow by keypad, in English and in Kiswahili', async () => {
    gw = await testGateway();
    const demo = gw.core.flows.byId('crop-advice')!;
    const paths = contentPaths(demo);
    expect(paths.size).toBeGreaterThanOrEqual(10);
    let n = 0;
    for (const [langKey, lang] of [['1', 'en'], ['2', 'sw']] as const) {
      for (const [nodeId, keys] of paths) {
        // A new caller each time, so the language menu comes first.
        const caller = `+2547110${lang === 'en' ? '1' : '2'}${String(++n).padStart(4, '0')}`;
        const sid = `walk-${lang}-${nodeId}`;
        await call(sid, undefined, caller);
        let x = await call(sid, langKey, caller);
        for (const k of keys) x = await call(sid, k, caller);
        const node = demo.nodes[nodeId]!;
        const expected = (node.voice ?? node.text)[lang]!;
        expect(x.text, `${lang} ${nodeId}`).toContain(expected);
        expect(x.getDigits, nodeId).not.toBeNull();
        const ev = await events(caller);
        expect(ev.filter((e) => e.type === 'content').map((e) => e.nodeId)).toEqual([nodeId]);
      }
    }
  });

  it('offers star to repeat and 0 to go back on content, and counts a hang-up after content as completed', async () => {
    gw = await testGateway({}, { now: '2026-11-20T09:00:00Z' });
    await gw.app.inject({ method: 'PATCH', url: `/api/v1/subscribers/${encodeURIComponent(CALLER)}`, headers: AUTH, payload: { language: 'en' } });
    await call('c1');
    await call('c1', '1');
    await call('c1', '1');
    const content = await call('c1', '2'); // maize pests
    expect(content.text).toContain('Fall armyworm');
    expect(content.text).toContain('To hear this again, press star. To go back, press 0.');
    expect(content.text).toContain('For Send by SMS, press 1.');
    const repeated = await call('c1', '*');
    expect(repeated.text).toBe(content.text);
    const back = await call('c1', '0');
    expect(back.text).toContain('For Planting, press 1.');
    await hangUp('c1', 95);
    const ev = await events();
    const types = ev.map((e) => e.type);
    // `*` is a repeat, not a step: one `content` event, then back to the maize menu.
    expect(types.filter((t) => t === 'content')).toHaveLength(1);
    expect(types).not.toContain('input_invalid');
    expect(ev.at(-1)).toMatchObject({ type: 'session_end', channel: 'ivr', detail: { reason: 'completed', durationSeconds: 95 } });
  });

  it('repeats the prompt on no input up to ivr.noInputRepeats times, then says goodbye and hangs up (timeout)', async () => {
    gw = await testGateway({ ivr: { noInputRepeats: 2 } });
    const first = await call('quiet');
    const r1 = await call('quiet');
    const r2 = await call('quiet');
    expect(r1.text).toBe(first.text);
    expect(r2.text).toBe(first.text);
    const bye = await call('quiet');
    expect(bye.getDigits).toBeNull();
    expect(bye.redirect).toBeNull();
    expect(bye.text).toMatch(/goodbye/i);
    const ev = await events();
    expect(ev.at(-1)).toMatchObject({ type: 'session_end', detail: { reason: 'timeout' } });
    // The final request after the goodbye does not end the session a second time.
    await hangUp('quiet');
    expect((await events()).filter((e) => e.type === 'session_end')).toHaveLength(1);
  });

  it('treats invalid keys as in USSD: a notice, then a polite end after too many', async () => {
    gw = await testGateway();
    await call('bad');
    const once = await call('bad', '7');
    expect(once.says[0]).toMatch(/^Invalid choice/);
    await call('bad', '8');
    const out = await call('bad', '9');
    expect(out.getDigits).toBeNull();
    expect(out.text).toMatch(/too many/i);
    const ev = await events();
    expect(ev.filter((e) => e.type === 'input_invalid')).toHaveLength(3);
    expect(ev.at(-1)).toMatchObject({ type: 'session_end', detail: { reason: 'max_invalid' } });
  });

  it('puts IVR sessions in the same subscriber history as USSD sessions', async () => {
    gw = await testGateway();
    for (const text of ['', '1']) {
      await gw.app.inject({ method: 'POST', url: '/ussd/africastalking', headers: FORM, payload: new URLSearchParams({ sessionId: 'u1', serviceCode: '*384*1#', phoneNumber: CALLER, text }).toString() });
    }
    // The language chosen on USSD is remembered: the call goes straight to the main menu.
    const x = await call('v1');
    expect(x.text).toContain('Welcome to Crop Advice');
    await hangUp('v1');
    const ev = await events();
    expect(new Set(ev.map((e) => e.channel))).toEqual(new Set(['ussd', 'ivr']));
    expect(ev.filter((e) => e.type === 'session_start').map((e) => e.channel)).toEqual(['ussd', 'ivr']);
    expect(ev.filter((e) => e.channel === 'ivr' && e.type === 'session_start')[0]!.detail).toMatchObject({ dialect: 'africastalking', direction: 'inbound' });
  });

  it('plays recorded audio from ivr.audioBaseUrl where the flow names it', async () => {
    gw = await testGateway({ flows: { dir: 'test/fixtures/ivr/flows' }, ivr: { audioBaseUrl: 'https://cdn.example.org/audio/' }, profile: { fields: { herdSize: { type: 'integer', min: 0 } } } });
    await gw.app.inject({ method: 'PATCH', url: `/api/v1/subscribers/${encodeURIComponent(CALLER)}`, headers: AUTH, payload: { language: 'en' } });
    const x = await call('a1', undefined, CALLER, '+254711099000');
    expect(x.plays).toEqual(['https://cdn.example.org/audio/dairy/main-en.mp3']);
    const content = await call('a1', '1', CALLER, '+254711099000');
    expect(content.plays).toEqual(['https://cdn.example.org/audio/dairy/feeding-en.mp3']);
    expect(content.text).toContain('press star');
  });
});

// The flows the tests run on must load without problems (a broken demo flow would make every test above lie).
describe('test flows', () => {
  it('load cleanly', () => {
    expect(loadFlows('test/fixtures/ivr/flows').problems).toEqual([]);
  });
});
