import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config';
import { InboundRepo } from '../../src/messaging/inbound-repo';
import { FakeSmsc } from '../fakes/smsc';
import { AUTH, eventually, stopAfterEach, testGateway, type TestGateway } from '../helpers/gateway';

let gw: TestGateway | null = null;
let smsc: FakeSmsc | null = null;
stopAfterEach(() => [gw, smsc]);

async function bound(extra: Record<string, unknown> = {}): Promise<{ g: TestGateway; s: FakeSmsc }> {
  smsc = await new FakeSmsc().start();
  const binds = [{ id: 'trx', host: '127.0.0.1', port: smsc.port, systemId: 'vasgw', password: 'secret', mode: 'transceiver', sourceAddr: '20123', ...extra }];
  gw = await testGateway({ smpp: { binds: binds as Config['smpp']['binds'] }, messaging: { quietHours: null, dispatch: { pollMs: 10 } } } as never);
  await gw.start();
  await eventually(async () => (await gw!.app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200, { what: 'bind ready' });
  return { g: gw, s: smsc };
}

/** What `inbound_sms` kept for an address (the record of senders without a profile). */
const kept = async (g: TestGateway, from: string) =>
  (await new InboundRepo(g.core.database).byFrom(from)).map(({ source, fromAddr, toAddr, text, subscriberId, route }) => ({ source, fromAddr, toAddr, text, subscriberId, route }));

describe('MO from an address that is not a phone number', () => {
  it('an MO from short code "123" is answered back to "123" as a short code (TON 3, NPI 0) and kept under the address', async () => {
    const { g, s } = await bound();
    const replies = new Map<string, string>();
    g.core.messaging.onStatus((c) => replies.set(c.msisdn, c.id));
    s.sendMo({ from: '123', to: '20123', text: 'maize', fromTon: 3, fromNpi: 0 });
    const reply = await eventually(() => s.submits.find((m) => m.to === '123'), { what: 'the reply to 123' });
    expect(reply).toMatchObject({ to: '123', toTon: 3, toNpi: 0, from: '20123' });
    expect(reply.text).toMatch(/^MAIZE PLANTING/);
    expect(await kept(g, '123')).toEqual([{ source: 'smpp:trx', fromAddr: '123', toAddr: '20123', text: 'maize', subscriberId: null, route: 'keyword' }]);
    // No subscriber profile was made up for it.
    expect((await g.app.inject({ method: 'GET', url: '/api/v1/subscribers/123', headers: AUTH })).statusCode).toBeGreaterThanOrEqual(400);
    const status = await eventually(async () => {
      const id = replies.get('123');
      const m = id ? (await g.app.inject({ method: 'GET', url: `/api/v1/messages/${id}`, headers: AUTH })).json() : null;
      return m?.status === 'sent' || m?.status === 'delivered' ? m : null;
    });
    expect(status).toMatchObject({ to: '123', source: 'mo_reply' });
  });

  it("uses the bind's addressTon/addressNpi when set, and answers an alphanumeric sender and HELP", async () => {
    const { g, s } = await bound({ addressTon: 0, addressNpi: 1 });
    s.sendMo({ from: 'INFO', to: '20123', text: 'help', fromTon: 5, fromNpi: 0 });
    const reply = await eventually(() => s.submits.find((m) => m.to === 'INFO'), { what: 'the reply to INFO' });
    expect(reply).toMatchObject({ toTon: 0, toNpi: 1 });
    expect(reply.text).toContain('dial *384*1#');
    expect(await kept(g, 'INFO')).toMatchObject([{ route: 'help', subscriberId: null }]);
  });

  it('a phone number still goes out international (TON 1, NPI 1) and links to its subscriber', async () => {
    const { g, s } = await bound({ addressTon: 0, addressNpi: 1 });
    s.sendMo({ from: '254712345678', to: '20123', text: 'help' });
    const reply = await eventually(() => s.submits.find((m) => m.to === '254712345678'));
    expect(reply).toMatchObject({ toTon: 1, toNpi: 1 });
    expect(await kept(g, '+254712345678')).toEqual([]);
  });
});
