import { describe, expect, it } from 'vitest';
import { AUTH, eventually, stopAfterEach, testGateway, type TestGateway } from '../helpers/gateway';
import { FakeSmsc, type FakeSmscOptions } from '../fakes/smsc';
import type { Config } from '../../src/config';

let gw: TestGateway | null = null;
let smsc: FakeSmsc | null = null;
stopAfterEach(() => [gw, smsc]);

async function setup(opts: FakeSmscOptions, mode: 'transceiver' | 'split' = 'transceiver') {
  smsc = await new FakeSmsc(opts).start();
  const base = { host: '127.0.0.1', port: smsc.port, systemId: 'vasgw', password: 'secret', sourceAddr: '20123', reconnect: { minSeconds: 0.02, maxSeconds: 0.1 } };
  const binds = mode === 'transceiver' ? [{ ...base, id: 'trx', mode: 'transceiver' }] : [{ ...base, id: 'tx', mode: 'transmitter' }, { ...base, id: 'rx', mode: 'receiver' }];
  gw = await testGateway({ smpp: { binds: binds as Config['smpp']['binds'] }, messaging: { quietHours: null, dispatch: { pollMs: 10, batch: 50 } } } as never);
  await gw.start();
  await eventually(async () => (await gw!.app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200, { what: 'binds ready' });
  return gw;
}

async function sendAndWait(g: TestGateway, text: string, want: string) {
  const r = await g.app.inject({ method: 'POST', url: '/api/v1/messages', headers: AUTH, payload: { to: '+254712345678', text, kind: 'transactional' } });
  const id = r.json().id as string;
  return eventually(
    async () => {
      const m = (await g.app.inject({ method: 'GET', url: `/api/v1/messages/${id}`, headers: AUTH })).json();
      return m.status === want ? m : null;
    },
    { what: `status ${want}` },
  );
}

describe('delivery receipts', () => {
  const cases: Array<[string, FakeSmscOptions]> = [
    ['hex id in the resp, decimal id in the receipt text', { respIdFormat: 'hex', receiptIdFormat: 'decimal' }],
    ['decimal id in the resp, hex id (leading zeros) in the receipt text', { respIdFormat: 'decimal', receiptIdFormat: 'hex' }],
    ['the same zero-padded hex id in both, receipted_message_id TLV', { respIdFormat: 'hex', receiptIdFormat: 'hex', receiptTlv: true }],
  ];
  for (const [name, opts] of cases) {
    it(`matches a receipt with ${name}`, async () => {
      const g = await setup(opts);
      const m = await sendAndWait(g, 'Receipt test', 'delivered');
      expect(m.deliveredAt).not.toBeNull();
    });
  }

  it('keeps a receipt that arrives before its submit_sm_resp and applies it when the resp comes', async () => {
    const g = await setup({ receiptBeforeResp: true, respIdFormat: 'decimal', receiptIdFormat: 'hex' }, 'split');
    await sendAndWait(g, 'Early receipt', 'delivered');
    const metrics = (await g.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/vasgw_delivery_receipts_total\{match="early"\} 1/);
  });

  it('marks a message failed on UNDELIV and expired on EXPIRED, with the receipt state as the error', async () => {
    let g = await setup({ receiptStat: 'UNDELIV' });
    const failed = await sendAndWait(g, 'Undeliverable', 'failed');
    expect(failed.error).toBe('UNDELIV err:000');
    await g.stop();
    await smsc!.stop();
    g = await setup({ receiptStat: 'EXPIRED' });
    await sendAndWait(g, 'Too late', 'expired');
  });

  it('counts a long message delivered only when every part is', async () => {
    const g = await setup({});
    const m = await sendAndWait(g, 'Sehemu ndefu ya ujumbe. '.repeat(12), 'delivered');
    expect(m.parts).toBeGreaterThan(1);
    expect(m.partsDelivered).toBe(m.parts);
  });

  it('treats ENROUTE as intermediate', async () => {
    const g = await setup({ receiptStat: 'ENROUTE' });
    const r = await g.app.inject({ method: 'POST', url: '/api/v1/messages', headers: AUTH, payload: { to: '+254712345678', text: 'x', kind: 'transactional' } });
    const id = r.json().id as string;
    await eventually(async () => {
      const ev = (await g.app.inject({ method: 'GET', url: '/api/v1/subscribers/+254712345678/events', headers: AUTH })).json();
      return ev.some((e: { detail?: { status?: string } }) => e.detail?.status === 'intermediate');
    });
    expect((await g.app.inject({ method: 'GET', url: `/api/v1/messages/${id}`, headers: AUTH })).json().status).toBe('sent');
  });
});
