import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config';
import type { MessageStatusChange } from '../../src/messaging/types';
import { FakeSmsc } from '../fakes/smsc';
import { AUTH, eventually, stopAfterEach, testGateway, type TestGateway } from '../helpers/gateway';

let gw: TestGateway | null = null;
let smsc: FakeSmsc | null = null;
stopAfterEach(() => [gw, smsc]);

const message = async (g: TestGateway, id: string) => (await g.app.inject({ method: 'GET', url: `/api/v1/messages/${id}`, headers: AUTH })).json();

describe('replies to addresses with no subscriber profile', () => {
  it('are delivered or failed by their receipts like any message, and tell listeners there is no subscriber', async () => {
    // The short code's receipts: "123" delivered, "456" undeliverable; phone numbers delivered.
    smsc = await new FakeSmsc({ receiptStatFor: (to) => (to === '456' ? 'UNDELIV' : 'DELIVRD') }).start();
    const binds = [{ id: 'trx', host: '127.0.0.1', port: smsc.port, systemId: 'vasgw', password: 'secret', mode: 'transceiver', sourceAddr: '20123' }];
    gw = await testGateway({ smpp: { binds: binds as Config['smpp']['binds'] }, messaging: { quietHours: null, dispatch: { pollMs: 10 } } } as never);
    const changes: MessageStatusChange[] = [];
    gw.core.messaging.onStatus((c) => changes.push(c));
    await gw.start();
    await eventually(async () => (await gw!.app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200, { what: 'bind ready' });

    const toCode = await gw.core.messaging.send({ to: '123', toAddress: true, text: 'Asante', source: 'mo_reply' });
    const toFailing = await gw.core.messaging.send({ to: '456', toAddress: true, text: 'Asante', source: 'mo_reply' });
    const toPhone = await gw.core.messaging.send({ to: '+254712345678', text: 'Habari', kind: 'transactional' });

    await eventually(async () => (await message(gw!, toCode.id)).status === 'delivered', { what: 'the reply to 123 delivered' });
    const failed = await eventually(async () => {
      const m = await message(gw!, toFailing.id);
      return m.status === 'failed' ? m : null;
    }, { what: 'the reply to 456 failed' });
    expect(failed).toMatchObject({ to: '456', source: 'mo_reply', error: expect.stringMatching(/^UNDELIV/) });
    await eventually(async () => (await message(gw!, toPhone.id)).status === 'delivered', { what: 'the phone message delivered' });

    const final = (id: string) => changes.find((c) => c.id === id && c.status !== 'sent');
    expect(final(toCode.id)).toMatchObject({ status: 'delivered', subscriberId: null, msisdn: '123' });
    expect(final(toFailing.id)).toMatchObject({ status: 'failed', subscriberId: null, msisdn: '456' });
    expect(final(toPhone.id)).toMatchObject({ status: 'delivered', subscriberId: expect.any(Number) });
    // No profile was made up for the short codes.
    for (const code of ['123', '456']) expect((await gw.app.inject({ method: 'GET', url: `/api/v1/subscribers/${code}`, headers: AUTH })).statusCode).toBeGreaterThanOrEqual(400);
  });
});
