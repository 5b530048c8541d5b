import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AUTH, eventually, testGateway, type TestGateway } from '../helpers/gateway';
import { FakeSmsc } from '../fakes/smsc';
import type { Config } from '../../src/config';
import type { InboundSms } from '../../src/messaging/types';

let gw: TestGateway;
let smsc: FakeSmsc;
const FARMER = '254712345678';

beforeEach(async () => {
  smsc = await new FakeSmsc().start();
  const binds = [{ id: 'trx', host: '127.0.0.1', port: smsc.port, systemId: 'vasgw', password: 'secret', mode: 'transceiver', sourceAddr: '20123', reconnect: { minSeconds: 0.02, maxSeconds: 0.1 } }];
  gw = await testGateway({ smpp: { binds: binds as Config['smpp']['binds'] }, messaging: { quietHours: null, dispatch: { pollMs: 10, batch: 50 } } } as never);
  await gw.start();
  await eventually(async () => (await gw.app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200, { what: 'bind ready' });
});
afterEach(async () => {
  await gw.stop();
  await smsc.stop();
});

/** The next reply the fake SMSC receives for the farmer after `before` submits. */
async function replyAfter(before: number): Promise<string> {
  const s = await eventually(() => smsc.messages().slice(before).find((m) => m.to === FARMER), { what: 'a reply' });
  return s.text;
}

const subscriber = async () => (await gw.app.inject({ method: 'GET', url: `/api/v1/subscribers/+${FARMER}`, headers: AUTH })).json();

describe('MO routing', () => {
  it('STOP opts out and confirms, blocks promotional messages; START reverses it', async () => {
    let n = smsc.messages().length;
    smsc.sendMo({ from: FARMER, to: '20123', text: 'stop' });
    expect(await replyAfter(n)).toContain('no more messages');
    expect((await subscriber()).optedOut).toBe(true);
    const promo = await gw.app.inject({ method: 'POST', url: '/api/v1/messages', headers: AUTH, payload: { to: `+${FARMER}`, text: 'Offer' } });
    expect(promo.json()).toMatchObject({ status: 'blocked', reason: 'opted_out' });

    n = smsc.messages().length;
    smsc.sendMo({ from: FARMER, to: '20123', text: ' Start ' });
    expect(await replyAfter(n)).toContain('Welcome back');
    expect((await subscriber()).optedOut).toBe(false);
  });

  it('understands the Swahili opt-out words and answers in the subscriber language', async () => {
    await gw.app.inject({ method: 'PATCH', url: `/api/v1/subscribers/+${FARMER}`, headers: AUTH, payload: { language: 'sw' } });
    const n = smsc.messages().length;
    smsc.sendMo({ from: FARMER, to: '20123', text: 'ACHA' });
    expect(await replyAfter(n)).toContain('Hutapokea ujumbe');
    expect((await subscriber()).optedOut).toBe(true);
  });

  it('answers HELP, a flow keyword with its SMS content, and anything else with the default reply', async () => {
    let n = smsc.messages().length;
    smsc.sendMo({ from: FARMER, to: '20123', text: 'help' });
    expect(await replyAfter(n)).toContain('dial *384*1#');
    n = smsc.messages().length;
    smsc.sendMo({ from: FARMER, to: '20123', text: 'maize please' });
    expect(await replyAfter(n)).toMatch(/^MAIZE PLANTING/);
    n = smsc.messages().length;
    smsc.sendMo({ from: FARMER, to: '20123', text: 'what is this' });
    expect(await replyAfter(n)).toContain('did not understand');
    const reply = smsc.submits.find((s) => s.text.startsWith('MAIZE PLANTING'))!;
    expect(reply.from).toBe('20123');
    const events = (await gw.app.inject({ method: 'GET', url: `/api/v1/subscribers/+${FARMER}/events`, headers: AUTH })).json();
    expect(events.filter((e: { type: string }) => e.type === 'sms_in')).toHaveLength(3);
    expect(events.find((e: { type: string }) => e.type === 'content')).toMatchObject({ channel: 'sms', flowId: 'crop-advice', nodeId: 'maize-planting' });
  });

  it('reassembles a concatenated MO sent with UDH, parts out of order, before routing it', async () => {
    const text = 'Habari, nina swali kuhusu mahindi yangu. Majani yanageuka manjano na mimea ni mifupi sana. Nimetumia mbolea ya DAP wakati wa kupanda mwezi uliopita. Nifanye nini sasa ili nipate mavuno mazuri?';
    expect(text.length).toBeGreaterThan(160);
    smsc.sendMo({ from: FARMER, to: '20123', text, concat: 'udh', order: [1, 0] });
    const ev = await eventually(async () => {
      const events = (await gw.app.inject({ method: 'GET', url: `/api/v1/subscribers/+${FARMER}/events`, headers: AUTH })).json();
      return events.find((e: { type: string }) => e.type === 'sms_in');
    });
    expect(ev.detail).toMatchObject({ parts: 2, to: '20123', text: text.slice(0, 160) });
  });

  it('reassembles a UCS-2 MO sent with SAR TLVs and decodes it intact', async () => {
    const text = 'ሰላም! የበቆሎ ቅጠሎች ቢጫ ሆነዋል። ምን ላድርግ? ማዳበሪያ መቼ ልጨምር? ዝናብ ዘግይቷል። 🌽';
    const seen: InboundSms[] = [];
    gw.core.messaging.addMoInterceptor(async (mo) => {
      seen.push(mo);
      return true;
    });
    smsc.sendMo({ from: FARMER, to: '20123', text, concat: 'sar', ref: 7 });
    await eventually(() => seen.length === 1, { what: 'the MO' });
    expect(seen[0]!.text).toBe(text);
    expect(seen[0]!.from).toBe(`+${FARMER}`);
  });

  it('lets an interceptor (a poll) consume an answer before keyword routing; STOP still works', async () => {
    const answers: string[] = [];
    gw.core.messaging.addMoInterceptor(async (mo) => {
      if (!/^\d$/.test(mo.text.trim())) return false;
      answers.push(mo.text.trim());
      return true;
    });
    const n = smsc.messages().length;
    smsc.sendMo({ from: FARMER, to: '20123', text: '2' });
    await eventually(() => answers.length === 1);
    smsc.sendMo({ from: FARMER, to: '20123', text: 'STOP' });
    expect(await replyAfter(n)).toContain('no more messages');
    expect(answers).toEqual(['2']);
  });
});
