import net, { type AddressInfo } from 'node:net';
import smpp from 'smpp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AUTH, eventually, testGateway, type TestGateway } from '../helpers/gateway';
import { FakeSmsc } from '../fakes/smsc';
import { concatUdh, str, type Pdu } from '../../channels/smpp/pdu';
import { encodeSms } from '../../src/messaging/encoding';
import type { Config } from '../../src/config';

let gw: TestGateway;
let smsc: FakeSmsc;
let port: number;
const partners: smpp.Session[] = [];

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const p = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

beforeEach(async () => {
  smsc = await new FakeSmsc().start();
  port = await freePort();
  const binds = [{ id: 'trx', host: '127.0.0.1', port: smsc.port, systemId: 'vasgw', password: 'secret', mode: 'transceiver', sourceAddr: '20123', reconnect: { minSeconds: 0.02, maxSeconds: 0.1 } }];
  const server = {
    host: '127.0.0.1',
    port,
    accounts: [
      { systemId: 'partner1', password: 'pw', allowIps: [], kind: 'transactional' },
      { systemId: 'faraway', password: 'pw', allowIps: ['10.0.0.0/8'], kind: 'transactional' },
    ],
    failedBinds: { allowed: 2, delayMs: 300, maxDelayMs: 1000 },
  };
  gw = await testGateway({ smpp: { binds: binds as Config['smpp']['binds'], server }, messaging: { quietHours: null, dispatch: { pollMs: 10, batch: 50 } } } as never);
  await gw.start();
  await eventually(async () => (await gw.app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200, { what: 'bind ready' });
});

afterEach(async () => {
  for (const p of partners.splice(0)) p.destroy();
  await gw.stop();
  await smsc.stop();
});

function connect(): Promise<smpp.Session> {
  return new Promise((resolve) => {
    const s = smpp.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.on('error', () => {});
    partners.push(s);
  });
}

function call(s: smpp.Session, command: string, fields: Record<string, unknown>): Promise<Pdu> {
  return new Promise((resolve) => s.send(new smpp.PDU(command, fields), (resp) => resolve(resp)));
}

async function bound(mode = 'bind_transceiver', password = 'pw', systemId = 'partner1') {
  const s = await connect();
  const resp = await call(s, mode, { system_id: systemId, password });
  return { s, resp };
}

describe('SMPP listener for partners', () => {
  it('binds a partner, sends its submit through the outbox to the operator and returns the receipt', async () => {
    const { s, resp } = await bound();
    expect(resp.command_status).toBe(0);
    const receipts: Pdu[] = [];
    s.on('pdu', (pdu: Pdu) => {
      if (pdu.command === 'deliver_sm') {
        receipts.push(pdu);
        s.send(pdu.response());
      }
    });
    const sms = encodeSms('Your order 1234 has shipped.');
    const r = await call(s, 'submit_sm', { source_addr: '20123', destination_addr: '254712345678', data_coding: 0, registered_delivery: 1, short_message: sms.parts[0] });
    expect(r.command_status).toBe(0);
    const id = str(r, 'message_id');
    await eventually(() => smsc.messages().some((m) => m.text === 'Your order 1234 has shipped.'), { what: 'at the operator' });
    const got = await eventually(() => receipts[0], { what: 'receipt to the partner' });
    expect(str(got, 'receipted_message_id')).toBe(id);
    expect(Buffer.from(got.short_message as Buffer).toString('latin1')).toMatch(new RegExp(`^id:${id} .*stat:DELIVRD`));
    const m = (await gw.app.inject({ method: 'GET', url: `/api/v1/messages/${id}`, headers: AUTH })).json();
    expect(m).toMatchObject({ status: 'delivered', source: 'partner:partner1' });
  });

  it('reassembles a partner concatenated submit and answers every part with the same id', async () => {
    const { s } = await bound('bind_transmitter');
    const text = 'Karibu kwenye huduma ya ushauri wa kilimo. Utapokea vidokezo kila wiki kuhusu upandaji, mbolea, wadudu na mavuno. Tuma ACHA kusitisha wakati wowote. Asante kwa kuchagua huduma yetu!';
    const sms = encodeSms(text);
    expect(sms.parts.length).toBe(2);
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await call(s, 'submit_sm', {
        destination_addr: '254712345678',
        source_addr: '20123',
        esm_class: 0x40,
        data_coding: 0,
        short_message: Buffer.concat([concatUdh(9, 2, i + 1), sms.parts[i]!]),
      });
      expect(r.command_status).toBe(0);
      ids.push(str(r, 'message_id'));
    }
    expect(ids[0]).toBe(ids[1]);
    await eventually(() => smsc.messages().some((m) => m.text === text), { what: 'whole text at the operator' });
  });

  it('refuses a wrong password, slows down repeated failures, and refuses a source outside the allow-list', async () => {
    expect((await bound('bind_transceiver', 'nope')).resp.command_status).toBe(smpp.errors.ESME_RINVPASWD);
    expect((await bound('bind_transceiver', 'nope', 'unknown')).resp.command_status).toBe(smpp.errors.ESME_RINVPASWD);
    const t0 = performance.now();
    expect((await bound('bind_transceiver', 'nope')).resp.command_status).toBe(smpp.errors.ESME_RINVPASWD);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(250);
    expect((await bound('bind_transceiver', 'pw', 'faraway')).resp.command_status).toBe(smpp.errors.ESME_RBINDFAIL);
    // The right credentials still work.
    expect((await bound()).resp.command_status).toBe(0);
  });

  it('answers submits before bind and on a receiver bind with ESME_RINVBNDSTS, and bad numbers with ESME_RINVDSTADR', async () => {
    const s = await connect();
    const sms = encodeSms('x');
    expect((await call(s, 'submit_sm', { destination_addr: '254712345678', short_message: sms.parts[0] })).command_status).toBe(smpp.errors.ESME_RINVBNDSTS);
    const rx = await bound('bind_receiver');
    expect((await call(rx.s, 'submit_sm', { destination_addr: '254712345678', short_message: sms.parts[0] })).command_status).toBe(smpp.errors.ESME_RINVBNDSTS);
    const tx = await bound('bind_transmitter');
    expect((await call(tx.s, 'submit_sm', { destination_addr: 'hello', short_message: sms.parts[0] })).command_status).toBe(smpp.errors.ESME_RINVDSTADR);
  });

  it('answers malformed and unknown PDUs with generic_nack and keeps serving', async () => {
    const raw = net.connect(port, '127.0.0.1');
    await new Promise((r) => raw.once('connect', r));
    const answers: Buffer[] = [];
    raw.on('data', (d: Buffer) => answers.push(d));
    const header = (len: number, id: number, status: number, seq: number) => {
      const b = Buffer.alloc(16);
      b.writeUInt32BE(len, 0);
      b.writeUInt32BE(id, 4);
      b.writeUInt32BE(status, 8);
      b.writeUInt32BE(seq, 12);
      return b;
    };
    // An unknown command id, then a submit_sm whose body is cut short after the header.
    raw.write(header(16, 0x00000999, 0, 7));
    raw.write(Buffer.concat([header(20, 0x00000004, 0, 8), Buffer.from([0x00, 0x01, 0x00, 0x00])]));
    const all = await eventually(() => {
      const b = Buffer.concat(answers);
      return b.length >= 32 ? b : null;
    });
    expect(all.readUInt32BE(4)).toBe(0x80000000);
    expect(all.readUInt32BE(8)).toBe(smpp.errors.ESME_RINVCMDID);
    expect(all.readUInt32BE(12)).toBe(7);
    expect(all.readUInt32BE(16 + 12)).toBe(8);
    // An impossible length cannot be framed: that connection is closed, the listener lives on.
    raw.write(header(3, 0x00000015, 0, 9));
    await new Promise((r) => raw.once('close', r));
    expect((await bound()).resp.command_status).toBe(0);
  });
});
