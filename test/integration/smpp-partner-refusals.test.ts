import net, { type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import smpp from 'smpp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually, testConfig } from '../helpers/gateway';
import { FakeSmsc } from '../fakes/smsc';
import { concatUdh, encodeSubmitSm, type SubmitSm } from '../../channels/smpp/pdu';
import { encodeSms, encodeText } from '../../src/messaging/encoding';
import type { Config } from '../../src/config';
import { ManualClock } from '../../src/lib/clock';
import { createLogger } from '../../src/lib/logger';
import { buildGateway, type Gateway } from '../../src/server';

// A partner that speaks raw PDUs over loopback, so the test can send what no well-behaved client library
// would: fields without terminators, lengths that lie, codings nobody defined.

const E = smpp.errors;
let gw: Gateway;
let smsc: FakeSmsc;
let port: number;
const logLines: string[] = [];
const sockets: net.Socket[] = [];

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const p = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

beforeEach(async () => {
  logLines.length = 0;
  smsc = await new FakeSmsc().start();
  port = await freePort();
  const binds = [{ id: 'trx', host: '127.0.0.1', port: smsc.port, systemId: 'vasgw', password: 'secret', mode: 'transceiver', sourceAddr: '20123', reconnect: { minSeconds: 0.02, maxSeconds: 0.1 } }];
  const server = {
    host: '127.0.0.1',
    port,
    accounts: [{ systemId: 'partner1', password: 'hunter2', allowIps: [], kind: 'transactional' }],
    failedBinds: { allowed: 100, delayMs: 0, maxDelayMs: 0 },
  };
  const config = testConfig({ logLevel: 'info', smpp: { binds: binds as Config['smpp']['binds'], server }, messaging: { quietHours: null, dispatch: { pollMs: 10, batch: 50 } } } as never);
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logLines.push(String(chunk));
      cb();
    },
  });
  gw = await buildGateway({ config, clock: new ManualClock(Date.parse('2026-11-20T09:00:00Z')), log: createLogger('info', sink) });
  await gw.app.ready();
  await gw.start();
  await eventually(async () => (await gw.app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200, { what: 'bind ready' });
});

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await gw.stop();
  await smsc.stop();
});

/** A raw partner connection: write PDUs, read whole response frames in order. */
async function rawPartner() {
  const socket = net.connect(port, '127.0.0.1');
  sockets.push(socket);
  await new Promise((r) => socket.once('connect', r));
  let buf = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
  });
  return {
    write: (b: Buffer) => socket.write(b),
    /** The next response frame: command id, status, sequence. */
    async next(): Promise<{ id: number; status: number; seq: number }> {
      const frame = await eventually(() => (buf.length >= 4 && buf.length >= buf.readUInt32BE(0) ? buf.subarray(0, buf.readUInt32BE(0)) : null), { what: 'a response PDU' });
      buf = buf.subarray(frame.length);
      return { id: frame.readUInt32BE(4), status: frame.readUInt32BE(8), seq: frame.readUInt32BE(12) };
    },
  };
}

/** A PDU from its command id, sequence and body octets (command_length always right). */
function pdu(id: number, seq: number, body: Buffer): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt32BE(16 + body.length, 0);
  h.writeUInt32BE(id, 4);
  h.writeUInt32BE(0, 8);
  h.writeUInt32BE(seq, 12);
  return Buffer.concat([h, body]);
}

const cstr = (s: string) => Buffer.from(`${s}\0`, 'latin1');
const BIND_TRANSMITTER = 0x00000002;
const bindBody = (systemId: string, password: string) => Buffer.concat([cstr(systemId), cstr(password), cstr(''), Buffer.from([0x34, 0, 0]), cstr('')]);

async function boundTransmitter() {
  const p = await rawPartner();
  p.write(pdu(BIND_TRANSMITTER, 1, bindBody('partner1', 'hunter2')));
  const r = await p.next();
  expect(r).toMatchObject({ id: 0x80000002, status: 0 });
  return p;
}

const submit = (seq: number, o: Partial<SubmitSm> & { message: Buffer }): Buffer =>
  encodeSubmitSm(seq, { sourceTon: 3, sourceNpi: 0, source: '20123', destTon: 1, destNpi: 1, dest: '254712345678', esmClass: 0, registeredDelivery: 0, validity: '', dataCoding: 0, sar: null, ...o });

describe('a partner bind with unterminated or over-long fields', () => {
  it.each([
    ['no NUL terminator anywhere', Buffer.from('partner1hunter2', 'latin1')],
    ['a system_id without its NUL (the password runs into it)', Buffer.concat([Buffer.from('partner1hunter2', 'latin1'), Buffer.from([0]), cstr(''), Buffer.from([0x34, 0, 0]), cstr('')])],
    ['a system_id longer than 15 octets', bindBody('partner1-hunter2-and-more-text', 'x')],
    ['a password longer than 8 octets', bindBody('partner1', 'hunter2-hunter2')],
    ['fields running past the end of the PDU', Buffer.concat([cstr('partner1'), Buffer.from('hunter2', 'latin1')])],
  ])('%s is refused and never logged raw', async (_what, body) => {
    const p = await rawPartner();
    p.write(pdu(BIND_TRANSMITTER, 5, body));
    const r = await p.next();
    expect(r.id).toBe(0x80000002);
    expect(r.seq).toBe(5);
    expect(r.status).not.toBe(0);
    await eventually(() => logLines.some((l) => l.includes('partner bind refused')), { what: 'the refusal in the log' });
    const log = logLines.join('');
    expect(log).not.toContain('hunter2');
    expect(log).not.toContain('partner1-hunter');
  });

  it('still binds the same account with well-formed fields', async () => {
    await boundTransmitter();
  });
});

describe('a partner submit_sm the gateway cannot send on is refused with the status naming the fault', () => {
  const text = encodeSms('Habari').parts[0]!;
  const withSmLength = (b: Buffer, smLength: number) => {
    // short_message is the last field: its length octet sits just before it.
    const out = Buffer.from(b);
    out[out.length - text.length - 1] = smLength;
    return out;
  };
  it.each([
    ['sm_length beyond the body', (seq: number) => withSmLength(submit(seq, { message: text }), text.length + 40), E.ESME_RINVMSGLEN],
    ['a UDH length beyond the message', (seq: number) => submit(seq, { esmClass: 0x40, message: Buffer.from([0x05, 0x00, 0x03, 0x01]) }), E.ESME_RINVESMCLASS],
    ['a UDH element running past the header', (seq: number) => submit(seq, { esmClass: 0x40, message: Buffer.concat([Buffer.from([0x03, 0x00, 0x05, 0x01]), text]) }), E.ESME_RINVESMCLASS],
    ['a UDH indicator on an empty message', (seq: number) => submit(seq, { esmClass: 0x40, message: Buffer.alloc(0) }), E.ESME_RINVESMCLASS],
    ['odd-length UCS-2', (seq: number) => submit(seq, { dataCoding: 8, message: Buffer.from([0x00, 0x48, 0x00]) }), E.ESME_RINVMSGLEN],
    ['odd-length UCS-2 after a UDH', (seq: number) => submit(seq, { dataCoding: 8, esmClass: 0x40, message: Buffer.concat([concatUdh(3, 2, 1), Buffer.from([0x00, 0x48, 0x00])]) }), E.ESME_RINVMSGLEN],
    ['a reserved data_coding (0x0B)', (seq: number) => submit(seq, { dataCoding: 0x0b, message: text }), E.ESME_RINVDCS],
    ['a data_coding the gateway cannot read (JIS, 0x05)', (seq: number) => submit(seq, { dataCoding: 0x05, message: text }), E.ESME_RINVDCS],
    ['a data_coding in the reserved range (0x42)', (seq: number) => submit(seq, { dataCoding: 0x42, message: text }), E.ESME_RINVDCS],
    ['binary octets (data_coding 0x04)', (seq: number) => submit(seq, { dataCoding: 0x04, message: text }), E.ESME_RINVDCS],
  ])('%s', async (_what, build, status) => {
    const p = await boundTransmitter();
    p.write(build(9));
    const r = await p.next();
    expect(r).toEqual({ id: 0x80000004, status, seq: 9 });
    // Nothing went on: the next good submit is the only message the operator sees.
    p.write(submit(10, { message: encodeSms('Good one').parts[0]! }));
    expect(await p.next()).toMatchObject({ id: 0x80000004, status: 0, seq: 10 });
    await eventually(() => smsc.messages().some((m) => m.text === 'Good one'), { what: 'the good submit at the operator' });
    expect(smsc.messages().map((m) => m.text)).toEqual(['Good one']);
  });

  it('takes the codings it can read: GSM, IA5, Latin-1, UCS-2 and flash UCS-2', async () => {
    const p = await boundTransmitter();
    const cases: Array<[number, Buffer, string]> = [
      [0x00, encodeSms('Jambo').parts[0]!, 'Jambo'],
      [0x01, Buffer.from('Hello', 'ascii'), 'Hello'],
      [0x03, Buffer.from('Café', 'latin1'), 'Café'],
      [0x08, encodeText('ሰላም', 'ucs2'), 'ሰላም'],
      [0x18, encodeText('Flash ሰላም', 'ucs2'), 'Flash ሰላም'],
    ];
    let seq = 20;
    for (const [dataCoding, message] of cases) {
      p.write(submit(++seq, { dataCoding, message }));
      expect(await p.next()).toMatchObject({ status: 0, seq });
    }
    await eventually(() => smsc.messages().length === cases.length, { what: 'all five at the operator' });
    expect(smsc.messages().map((m) => m.text).sort()).toEqual(cases.map((c) => c[2]).sort());
  });
});

describe('a PDU with a command_id nobody defined', () => {
  it.each([
    ['0xffffffff', 0xffffffff],
    ['an unknown id with the response bit (0x80000999)', 0x80000999],
  ])('%s gets generic_nack ESME_RINVCMDID, bound or not', async (_what, id) => {
    const p = await rawPartner();
    p.write(pdu(id, 41, Buffer.alloc(0)));
    expect(await p.next()).toEqual({ id: 0x80000000, status: E.ESME_RINVCMDID, seq: 41 });
    p.write(pdu(BIND_TRANSMITTER, 42, bindBody('partner1', 'hunter2')));
    expect(await p.next()).toMatchObject({ status: 0, seq: 42 });
    p.write(pdu(id, 43, Buffer.from([1, 2, 3])));
    expect(await p.next()).toEqual({ id: 0x80000000, status: E.ESME_RINVCMDID, seq: 43 });
  });
});
