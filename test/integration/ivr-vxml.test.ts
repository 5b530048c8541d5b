import { afterEach, describe, expect, it } from 'vitest';
import { AUTH, testGateway, type TestGateway } from '../helpers/gateway';
import { parseVxml, type Vxml } from '../helpers/voice';

const CALLER = '+254711000303';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

let gw: TestGateway;
afterEach(async () => gw?.stop());

/** Requests a document the way a VoiceXML platform does: GET the entry URL, then POST each submit's `next`. */
async function fetchDoc(url: string, form?: Record<string, string>): Promise<Vxml> {
  const u = new URL(url, 'http://gateway.test');
  const res = form
    ? await gw.app.inject({ method: 'POST', url: u.pathname + u.search, headers: FORM, payload: new URLSearchParams(form).toString() })
    : await gw.app.inject({ method: 'GET', url: u.pathname + u.search });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/voicexml\+xml/);
  return parseVxml(res.body);
}

/** The caller presses `key` on a document: the platform runs <filled> and submits `session choice`. */
const press = (doc: Vxml, key: string) => {
  expect(doc.keys === null ? doc.builtinDigits : doc.keys.includes(key), `${key} not in grammar ${doc.keys?.join(',')}`).toBe(true);
  return fetchDoc(doc.filled!, { session: doc.session!, choice: key });
};

async function events(msisdn = CALLER) {
  const res = await gw.app.inject({ method: 'GET', url: `/api/v1/subscribers/${encodeURIComponent(msisdn)}/events?limit=500`, headers: AUTH });
  return (res.json() as Array<{ channel: string; type: string; nodeId?: string; detail?: Record<string, unknown> }>).reverse();
}

describe('VoiceXML 2.1 dialect', () => {
  it('serves a form with a DTMF grammar, prompts, noinput/nomatch handlers and a submit, and round-trips to content', async () => {
    gw = await testGateway({ ivr: { publicBaseUrl: 'https://gw.example.org' } });
    const lang = await fetchDoc(`/ivr/vxml?caller=${encodeURIComponent(CALLER)}&called=%2B254711082000&callId=vx-1`);
    expect(lang.session).toBe('vx-1');
    expect(lang.keys).toEqual(['1', '2', '*']);
    expect(lang.filled).toBe('https://gw.example.org/ivr/vxml');
    expect(lang.noinput).toBe('https://gw.example.org/ivr/vxml?event=noinput');
    expect(lang.nomatch).toBe('https://gw.example.org/ivr/vxml?event=nomatch');
    expect(lang.hangup).toBe('https://gw.example.org/ivr/vxml?event=hangup');
    expect(lang.prompts.find((p) => p.text.includes('kwa Kiswahili'))?.lang).toBe('sw');

    const main = await press(lang, '2'); // Kiswahili
    expect(main.text).toContain('Karibu Ushauri wa Mazao');
    expect(main.raw).toContain('xml:lang="sw"');
    const crops = await press(main, '1');
    const cassava = await press(crops, '3');
    expect(cassava.keys).toEqual(['1', '2', '3', '0', '*']);
    const content = await press(cassava, '1');
    expect(content.text).toContain('vipandikizi');
    expect(content.text).toContain('nyota');

    const hung = await fetchDoc(content.hangup!, { session: content.session! });
    expect(hung.raw).toContain('<exit/>');
    const ev = await events();
    expect(ev.filter((e) => e.type === 'content').map((e) => e.nodeId)).toEqual(['cassava-planting']);
    expect(ev.at(-1)).toMatchObject({ channel: 'ivr', type: 'session_end', detail: { reason: 'completed', dialect: 'vxml' } });
  });

  it('counts nomatch as an invalid try and noinput as silence, ending with a goodbye and disconnect', async () => {
    gw = await testGateway({ ivr: { noInputRepeats: 1 } });
    await gw.app.inject({ method: 'PATCH', url: `/api/v1/subscribers/${encodeURIComponent(CALLER)}`, headers: AUTH, payload: { language: 'en' } });
    const main = await fetchDoc(`/ivr/vxml?ani=${encodeURIComponent(`tel:${CALLER}`)}&dnis=${encodeURIComponent('sip:+254711082000@ivr.operator.example')}`);
    expect(main.text).toContain('Welcome to Crop Advice');
    const nomatch = await fetchDoc(main.nomatch!, { session: main.session! });
    expect(nomatch.prompts[0]!.text).toMatch(/^Invalid choice\. Welcome/);
    const silent = await fetchDoc(nomatch.noinput!, { session: main.session! });
    expect(silent.text).toContain('Welcome to Crop Advice');
    const bye = await fetchDoc(silent.noinput!, { session: main.session! });
    expect(bye.disconnect).toBe(true);
    expect(bye.filled).toBeNull();
    const ev = await events();
    expect(ev.filter((e) => e.type === 'input_invalid')).toHaveLength(1);
    expect(ev.at(-1)).toMatchObject({ type: 'session_end', detail: { reason: 'timeout' } });
  });

  it('answers a bootstrap document that submits the platform session numbers when the entry URL carries none', async () => {
    gw = await testGateway();
    const res = await gw.app.inject({ method: 'GET', url: '/ivr/vxml' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('session.connection.remote.uri');
    expect(res.body).toContain('namelist="caller called"');
    const doc = await fetchDoc('/ivr/vxml', { caller: `sip:${CALLER}@10.1.1.1`, called: 'tel:+254711082000' });
    expect(doc.text).toContain('For English, press 1.');
    expect(doc.session).toMatch(/^vxc_/);
  });

  it('refuses unknown sessions, unknown numbers and bad input with 4xx', async () => {
    gw = await testGateway();
    const unknown = await gw.app.inject({ method: 'POST', url: '/ivr/vxml', headers: FORM, payload: 'session=nope&choice=1' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('UNKNOWN_SESSION');
    const number = await gw.app.inject({ method: 'GET', url: `/ivr/vxml?caller=${encodeURIComponent(CALLER)}&called=%2B254700000000` });
    expect(number.statusCode).toBe(404);
    expect(number.json().error.code).toBe('UNKNOWN_NUMBER');
    const quote = await gw.app.inject({ method: 'POST', url: '/ivr/vxml', headers: FORM, payload: "session=a'b&choice=1" });
    expect(quote.statusCode).toBe(400);
    const doc = await fetchDoc(`/ivr/vxml?caller=${encodeURIComponent(CALLER)}&called=%2B254711082000&callId=vx-2`);
    const letters = await gw.app.inject({ method: 'POST', url: '/ivr/vxml', headers: FORM, payload: `session=${doc.session}&choice=abc` });
    expect(letters.statusCode).toBe(400);
  });
});
