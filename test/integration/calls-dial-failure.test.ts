import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { AUTH, eventually, stopAfterEach, testGateway, type TestGateway } from '../helpers/gateway';
import { FakeVoiceProvider } from '../fakes/voice-provider';

const API_KEY = 'at-test-key-0001';
const TO = '+254711000202';

let gw: TestGateway | null = null;
let fake: FakeVoiceProvider | null = null;
stopAfterEach(() => [fake, gw]);

/** A trigger that fails every update of a call row, as a failing disk would fail the write. */
async function failCallUpdates(g: TestGateway): Promise<void> {
  const db = g.core.database;
  if (db.dialect === 'sqlite') {
    await db.run(sql.raw("CREATE TRIGGER fail_call_update BEFORE UPDATE ON calls BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"));
    return;
  }
  await db.run(sql.raw("CREATE FUNCTION fail_call_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk I/O error'; END $$"));
  await db.run(sql.raw('CREATE TRIGGER fail_call_update BEFORE UPDATE ON calls FOR EACH ROW EXECUTE FUNCTION fail_call_update()'));
}

async function healCallUpdates(g: TestGateway): Promise<void> {
  const db = g.core.database;
  if (db.dialect === 'sqlite') {
    await db.run(sql.raw('DROP TRIGGER fail_call_update'));
    return;
  }
  await db.run(sql.raw('DROP TRIGGER fail_call_update ON calls'));
  await db.run(sql.raw('DROP FUNCTION fail_call_update()'));
}

describe('a dial whose outcome cannot be recorded', () => {
  // A refused dial is written down by the dispatcher after the API answered; when that write fails (here a
  // trigger planted in the database plays a failing disk), the failure used to escape as an unhandled
  // rejection, which stops a Node process: every call, session and bind with it.
  it('does not become an unhandled rejection, and the gateway keeps answering', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      let refused = false;
      fake = await FakeVoiceProvider.start({
        apiKey: API_KEY,
        refuse: async () => {
          // The call is already marked dialing; from now on no call row can be updated.
          await failCallUpdates(gw!);
          refused = true;
          return { http: 503 };
        },
      });
      gw = await testGateway({ ivr: { africastalking: { baseUrl: fake.baseUrl, apiKey: API_KEY, username: 'vasgw', callerId: '+254711082000' } } });
      await gw.app.listen({ port: 0, host: '127.0.0.1' });
      fake.gatewayUrl = `http://127.0.0.1:${(gw.app.server.address() as AddressInfo).port}`;
      await gw.start();

      const asked = await gw.app.inject({ method: 'POST', url: '/api/v1/calls', headers: AUTH, payload: { to: TO, flowId: 'crop-advice' } });
      expect(asked.statusCode).toBe(202);
      const { id } = asked.json() as { id: string };
      await eventually(() => refused, { what: 'the provider refusing the dial' });
      // Stopping the dispatcher waits for every dial in flight to settle, failed write included.
      await gw.core.calls.stop();
      await new Promise((r) => setImmediate(r));
      expect(unhandled).toEqual([]);

      await healCallUpdates(gw);
      const seen = await gw.app.inject({ method: 'GET', url: `/api/v1/calls/${id}`, headers: AUTH });
      expect(seen.statusCode).toBe(200);
      // The refusal was not recorded (the write failed), so the call still shows the attempt it was on.
      expect(seen.json()).toMatchObject({ id, status: 'dialing', attempts: 1 });
      expect((await gw.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
