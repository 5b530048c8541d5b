import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { AUTH, eventually, stopAfterAll, testGateway, type DeepPartial, type TestGateway } from '../helpers/gateway';
import { apiGet, ussdSession } from '../helpers/crm';
import { FakeVoiceProvider } from '../fakes/voice-provider';
import type { Config } from '../../src/config';

const API_KEY = 'at-test-key-0001';
const TO = '+254711000303';
let gw: TestGateway;
let fake: FakeVoiceProvider;

// We call the farmer (answered, they go to maize planting); an hour later they dial *384*1# and find beans
// planting directly. Only the visit they made themselves is an episode.
beforeAll(async () => {
  fake = await FakeVoiceProvider.start({ apiKey: API_KEY });
  const config = { crm: { holdoutPercent: 0, act: false }, ivr: { africastalking: { baseUrl: fake.baseUrl, apiKey: API_KEY, username: 'vasgw', callerId: '+254711082000' } } };
  gw = await testGateway(config as DeepPartial<Config>, { now: '2026-11-20T07:00:00Z' });
  await gw.app.listen({ port: 0, host: '127.0.0.1' });
  fake.gatewayUrl = `http://127.0.0.1:${(gw.app.server.address() as AddressInfo).port}`;
  await gw.start();
  fake.script(TO, [{ kind: 'answer', keys: ['1', '1', '1', '1', '0'], durationSeconds: 64 }]);
  const res = await gw.app.inject({ method: 'POST', url: '/api/v1/calls', headers: AUTH, payload: { to: TO, flowId: 'crop-advice' } });
  const { id } = res.json() as { id: string };
  await eventually(async () => ((await gw.app.inject({ method: 'GET', url: `/api/v1/calls/${id}`, headers: AUTH })).json() as { status: string }).status === 'completed', { what: 'call completed' });
  await fake.settle();
  gw.clock.advance(3_600_000);
  await ussdSession(gw, TO, ['1', '2', '1']);
  gw.clock.advance(200_000);
  await gw.core.sessions.sweep();
  gw.clock.advance(3_600_000);
  // Background writers (dispatch, call status) may have a group commit open: the pass must not run inside it.
  await gw.core.groupCommit?.idle();
  await gw.core.crm.runPass();
});
stopAfterAll(() => [fake, gw]);

describe('first-go discovery and calls we place', () => {
  it('an outbound call is a session but not an episode: the subscriber was not looking for anything', async () => {
    const r = await apiGet(gw, '/reports/discovery?from=2026-11-20&to=2026-11-20&by=channel');
    expect(r.body.sessions).toBe(2);
    const s = r.body.soughtContent as { groups: Record<string, unknown>[] } & Record<string, unknown>;
    expect(s).toMatchObject({ episodes: 1, foundFirstGo: 1 });
    expect(s.groups).toEqual([expect.objectContaining({ value: 'ussd', episodes: 1 })]);
  });
});
