import { expect, it } from 'vitest';
import { CallStore } from '../../src/calls/call-store';
import { AUTH, stopAfterEach, testGateway, type TestGateway } from '../helpers/gateway';

// The call queue's unit-of-work forms, as the voice service will call them inside its IVR turn: a call
// queued through the API and claimed for dialling is answered, linked to its session and finished in the
// caller's units; what the API then shows and the subscriber's events say is what happened, and a repeat
// of a callback changes nothing.
let gw: TestGateway | null = null;
stopAfterEach(() => [gw]);

const TO = '+254711000303';

async function queuedAndDialing(g: TestGateway): Promise<string> {
  const res = await g.app.inject({ method: 'POST', url: '/api/v1/calls', headers: AUTH, payload: { to: '0711000303', flowId: 'crop-advice', kind: 'transactional' } });
  expect(res.statusCode).toBe(202);
  const { id, status } = res.json() as { id: string; status: string };
  expect(status).toBe('queued');
  const store = new CallStore(g.core.database);
  const claimed = await g.core.commits.unit((tx) => store.claimDial(id, g.core.clock.now(), 'africastalking', 99, tx));
  expect(claimed).toMatchObject({ id, status: 'dialing', attempts: 1 });
  return id;
}

const getCall = async (g: TestGateway, id: string) => (await g.app.inject({ method: 'GET', url: `/api/v1/calls/${id}`, headers: AUTH })).json() as Record<string, unknown>;
const statusEvents = async (g: TestGateway) =>
  ((await g.app.inject({ method: 'GET', url: `/api/v1/subscribers/${encodeURIComponent(TO)}/events?limit=100`, headers: AUTH })).json() as Array<{ type: string; detail?: Record<string, unknown> }>)
    .filter((e) => e.type === 'call_status')
    .map((e) => e.detail?.status)
    .reverse();

it('answers, links and finishes a call in the caller’s units; repeats change nothing', async () => {
  gw = await testGateway();
  const g = gw;
  const id = await queuedAndDialing(g);
  const answered = await g.core.commits.unit(async (tx) => {
    const call = await g.core.calls.matchIn({ msisdn: g.core.subscribers.normalize(TO) }, tx);
    expect(call?.id).toBe(id);
    const a = await g.core.calls.answeredIn(tx, id, 'ATVId_unit_1');
    await g.core.calls.linkSessionIn(tx, id, 'ses-unit-1');
    return a;
  });
  expect(answered).toMatchObject({ id, status: 'in_progress', providerRef: 'ATVId_unit_1' });
  // A hang-up cause of no answer on a call that was picked up still completes it.
  const finished = await g.core.commits.unit((tx) => g.core.calls.finishedIn(tx, id, { status: 'no_answer', providerRef: 'ATVId_unit_1', durationSeconds: 42 }));
  expect(finished).toMatchObject({ status: 'completed', durationSeconds: 42 });
  expect(await g.core.commits.unit((tx) => g.core.calls.answeredIn(tx, id, 'ATVId_unit_1'))).toBeNull();
  await g.core.commits.unit((tx) => g.core.calls.finishedIn(tx, id, { status: 'busy', providerRef: 'ATVId_unit_1' }));
  expect(await getCall(g, id)).toMatchObject({ id, status: 'completed', attempts: 1, durationSeconds: 42, reason: null });
  expect((await g.core.calls.get(id))?.sessionId).toBe('ses-unit-1');
  expect(await statusEvents(g)).toEqual(['answered', 'completed']);
});

it('retries a busy call after the configured spacing; a late callback about it changes nothing', async () => {
  gw = await testGateway({ ivr: { retry: { attempts: 3, spacingSeconds: 1800 } } });
  const g = gw;
  const id = await queuedAndDialing(g);
  const now = g.core.clock.now();
  const busy = await g.core.commits.unit((tx) => g.core.calls.finishedIn(tx, id, { status: 'busy', providerRef: 'ATVId_unit_2' }));
  expect(busy).toMatchObject({ status: 'retry_wait', reason: 'busy', attempts: 1, providerRef: 'ATVId_unit_2', nextAttemptAt: now + 1800 * 1000 });
  await g.core.commits.unit((tx) => g.core.calls.finishedIn(tx, id, { status: 'failed', providerRef: 'ATVId_unit_2' }));
  expect(await g.core.calls.get(id)).toMatchObject({ status: 'retry_wait', reason: 'busy', nextAttemptAt: now + 1800 * 1000 });
  expect(await statusEvents(g)).toEqual(['busy']);
});
