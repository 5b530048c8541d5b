import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH, testGateway, type TestGateway } from '../helpers/gateway';
import { apiGet, ivrCall, ussdSession } from '../helpers/crm';

let gw: TestGateway;
let openAfterFirstPass: Record<string, unknown>;

const M = {
  A: '+254767000001', // finds maize planting advice directly
  B: '+254767000002', // reads maize planting, wanders (back, invalid input) and ends on beans planting
  C: '+254767000003', // times out in the maize menu, finds maize pests 10 minutes later
  D: '+254767000004', // two direct finds 2 hours apart: two episodes
  E: '+254767000005', // IVR: hears maize planting to the end (presses 0 after it)
  F: '+254767000006', // IVR: hangs up while maize planting is still playing: not heard
  G: '+254767000007', // active 12 days earlier (past the first week); today finds maize planting after an invalid input
};

// Sessions left open end as timeouts when the sweeper runs after the USSD timeout (180 s).
const idle = async () => {
  gw.clock.advance(200_000);
  await gw.core.sessions.sweep();
};
const patch = (m: string, body: Record<string, unknown>) => gw.app.inject({ method: 'PATCH', url: `/api/v1/subscribers/${m}`, headers: AUTH, payload: body });

beforeAll(async () => {
  gw = await testGateway({ crm: { holdoutPercent: 0, act: false } }, { now: '2026-11-08T07:00:00Z' });
  await ussdSession(gw, M.G, ['1', '1', '1', '1']);
  await idle();
  await gw.core.crm.runPass();

  gw.clock.set('2026-11-20T07:00:00Z');
  for (const [m, gender, birthYear] of [[M.A, 'female', '1990'], [M.B, 'female', '2004'], [M.C, 'male', '1970'], [M.D, 'male', '1985'], [M.E, 'male', '1960']] as const) {
    const r = await patch(m, { gender, birthYear });
    expect(r.statusCode).toBe(200);
  }
  await ussdSession(gw, M.A, ['1', '1', '1', '1']);
  await idle();
  await ussdSession(gw, M.B, ['1', '1', '1', '1', '0', '0', '9', '2', '1']);
  await idle();
  await ussdSession(gw, M.C, ['1', '1', '1']);
  await idle();
  // A pass while C's episode is still open (gap not elapsed): a later pass must finish it.
  await gw.core.crm.runPass();
  openAfterFirstPass = (await apiGet(gw, '/reports/discovery?from=2026-11-20&to=2026-11-20')).body;
  gw.clock.advance(10 * 60_000);
  await ussdSession(gw, M.C, ['1', '1', '2']);
  await idle();
  await ussdSession(gw, M.D, ['1', '1', '1', '1']);
  await idle();
  gw.clock.advance(2 * 3_600_000);
  await ussdSession(gw, M.D, ['1', '2', '1']);
  await idle();
  await ivrCall(gw, M.E, ['1', '1', '1', '1', '0']);
  await ivrCall(gw, M.F, ['1', '1', '1', '1']);
  await ussdSession(gw, M.G, ['1', '9', '1', '1']);
  await idle();
  gw.clock.advance(2 * 3_600_000);
  await gw.core.crm.runPass();
});
afterAll(async () => {
  await gw?.stop();
});

const report = async (q: string) => {
  const r = await apiGet(gw, `/reports/discovery?from=2026-11-20&to=2026-11-20${q}`);
  expect(r.status).toBe(200);
  return r.body.soughtContent as Record<string, unknown> & { groups: Record<string, unknown>[] };
};
const group = (s: { groups: Record<string, unknown>[] }, key: string, value: string) => s.groups.find((g) => g[key] === value);

describe('first-go discovery of the content sought', () => {
  it('counts episodes found at the first go, after retries and not at all, with a 95% interval', async () => {
    const s = await report('');
    // A, D x2, E at the first go; B, C, G later; F never heard it.
    expect(s).toMatchObject({ episodes: 8, foundFirstGo: 4, foundAfterRetries: 3, notFound: 1, firstGoRate: 0.5, foundRate: 0.875, openEpisodes: 0 });
    // The older reading: the first session got some content cleanly (B read maize planting before wandering).
    expect(s.anyContentFirstGoRate).toBe(0.625);
    const [lo, hi] = s.firstGoInterval95 as [number, number];
    expect(lo).toBeLessThan(0.5);
    expect(hi).toBeGreaterThan(0.5);
    expect(lo).toBeCloseTo(0.2152, 3);
    expect(hi).toBeCloseTo(0.7848, 3);
  });

  it('an episode still open at the end of a pass is finished by a later pass', () => {
    const s = openAfterFirstPass.soughtContent as Record<string, unknown>;
    // After the first pass A, B and C were within the gap: none counted yet.
    expect(s).toMatchObject({ episodes: 0, openEpisodes: 3 });
  });

  it('C: a timed-out session and a second one 10 minutes later are one episode, not found at the first go', async () => {
    const s = await report('&by=node');
    expect(group(s, 'nodeId', 'maize-pests')).toMatchObject({ episodes: 1, foundFirstGo: 0, foundAfterRetries: 1, sessionsPerEpisode: 2 });
  });

  it('per content node: which advice is hard to find, hardest first', async () => {
    const s = await report('&by=node');
    expect(s.groups.map((g) => g.nodeId)).toEqual(['maize-pests', 'beans-planting', 'maize-planting']);
    // maize planting: A, D, E at the first go, G after an invalid input.
    expect(group(s, 'nodeId', 'maize-planting')).toMatchObject({ flowId: 'crop-advice', topic: 'Planting', episodes: 4, foundFirstGo: 3, firstGoRate: 0.75 });
    // beans planting: D directly (2 hours after D's first episode), B after wandering.
    expect(group(s, 'nodeId', 'beans-planting')).toMatchObject({ episodes: 2, foundFirstGo: 1, firstGoRate: 0.5 });
    expect(s.notFoundEpisodes).toBe(1);
  });

  it('by channel: the IVR caller who hung up during the advice did not find it', async () => {
    const s = await report('&by=channel');
    expect(group(s, 'value', 'ussd')).toMatchObject({ episodes: 6, foundFirstGo: 3, foundAfterRetries: 3, notFound: 0 });
    expect(group(s, 'value', 'ivr')).toMatchObject({ episodes: 2, foundFirstGo: 1, notFound: 1, firstGoRate: 0.5 });
    const ivrOnly = (await apiGet(gw, '/reports/discovery?from=2026-11-20&to=2026-11-20&channel=ivr')).body.soughtContent;
    expect(ivrOnly).toMatchObject({ episodes: 2, foundFirstGo: 1 });
  });

  it('by cohort: subscribers in their first week apart from the rest', async () => {
    const s = await report('&by=cohort');
    expect(group(s, 'value', 'first_week')).toMatchObject({ episodes: 7, foundFirstGo: 4 });
    expect(group(s, 'value', 'established')).toMatchObject({ episodes: 1, foundFirstGo: 0, foundAfterRetries: 1 });
  });

  it('by flow and language', async () => {
    expect(group(await report('&by=flow'), 'value', 'crop-advice')).toMatchObject({ episodes: 8, foundFirstGo: 4 });
    expect(group(await report('&by=language'), 'value', 'en')).toMatchObject({ episodes: 8 });
  });

  it('by a profile field: gender, with subscribers who have none as unknown', async () => {
    const s = await report('&by=gender');
    expect(group(s, 'value', 'female')).toMatchObject({ episodes: 2, foundFirstGo: 1, firstGoRate: 0.5 });
    expect(group(s, 'value', 'male')).toMatchObject({ episodes: 4, foundFirstGo: 3, firstGoRate: 0.75 });
    expect(group(s, 'value', 'unknown')).toMatchObject({ episodes: 2, foundFirstGo: 0 });
  });

  it('by ageBand, derived from birthYear as of the end of the range', async () => {
    const s = await report('&by=ageBand');
    // 2026: A 36, B 22, C 56, D 41 (two episodes), E 66.
    expect(group(s, 'value', '35-44')).toMatchObject({ episodes: 3, foundFirstGo: 3 });
    expect(group(s, 'value', '<25')).toMatchObject({ episodes: 1, foundFirstGo: 0 });
    expect(group(s, 'value', '55+')).toMatchObject({ episodes: 2, foundFirstGo: 1 });
  });

  it('sessions 2 hours apart are separate episodes; the older per-session rates stay beside', async () => {
    const r = await apiGet(gw, '/reports/discovery?from=2026-11-20&to=2026-11-20');
    const s = r.body.soughtContent as Record<string, unknown>;
    // D has two sessions and two episodes; C two sessions and one episode; 9 sessions in 8 episodes.
    expect(r.body.sessions).toBe(9);
    expect(s.sessionsPerEpisode).toBe(1.13);
    expect(r.body).toHaveProperty('firstAttemptRate');
    expect(r.body).toHaveProperty('contentRate');
  });

  it('an unknown breakdown is a 400 naming the allowed ones; a configured profile schema limits the fields', async () => {
    const bad = await apiGet(gw, '/reports/discovery?by=shoe%20size');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: 'INVALID_DIMENSION' } });
    // The typed profile schema (profile.fields), when configured, is the list of fields.
    const config = gw.core.config as unknown as { profile?: { fields: Record<string, unknown> } };
    config.profile = { fields: { gender: { type: 'enum', values: ['female', 'male', 'other'] }, birthYear: { type: 'integer' } } };
    try {
      const r = await apiGet(gw, '/reports/discovery?by=shoeSize');
      expect(r.status).toBe(400);
      expect((r.body.error as { message: string }).message).toContain('flow, channel, language, cohort, node, gender, birthYear, ageBand');
      expect((await apiGet(gw, '/reports/discovery?by=gender')).status).toBe(200);
    } finally {
      delete config.profile;
    }
  });
});
