import { beforeAll, expect, it } from 'vitest';
import { Days } from '../../src/crm/days';
import { FlowIndex } from '../../src/crm/flow-index';
import { crmDiscoveryDaily, crmDiscoveryProfileDaily, crmOpenEpisodes, crmSessionDaily, subscribers } from '../../src/db/schema';
import { loadFlowsOrThrow } from '../../src/engine/flow-loader';
import { FlowRegistry } from '../../src/engine/flow-registry';
import { discoveryReport } from '../../src/reports/discovery';
import { parseRange } from '../../src/reports/range';
import { DiscoveryStore } from '../../src/reports/stores/discovery-store';
import { eachBackend } from '../helpers/backends';

// The discovery report on both engines: planted session rollups (JSON end reasons and friction), episode
// rollups (overall and per profile value) and open episodes come back as the same figures, with every
// filter (channel, flow), every breakdown shape (by=node, channel, cohort, a profile field, ageBand) and
// the order the report promises for ties. Rows are planted out of key order on purpose: PostgreSQL
// returns a fresh table's rows in insertion order unless the statement orders them.
const days = new Days('Africa/Nairobi');
const flows = new FlowIndex(new FlowRegistry(loadFlowsOrThrow('flows')));
const d1 = days.of(Date.parse('2026-11-02T09:00:00Z'));
const d2 = d1 + 1;
const outside = d1 - 5;
const range = (q: { from?: string; to?: string; channel?: 'ussd' | 'ivr'; flow?: string } = {}) =>
  parseRange({ from: '2026-11-01', to: '2026-11-03', ...q }, Date.parse('2026-11-04T00:00:00Z'), days);

const sessionDay = (day: number, channel: string, flowId: string, n: Partial<typeof crmSessionDaily.$inferInsert>) => ({
  day, channel, flowId, sessions: 0, contentSessions: 0, cleanSessions: 0, stuckSessions: 0, firstSessions: 0, firstContentSessions: 0, menuMs: 0, ends: {}, friction: {}, ...n,
});
const zero = { episodes: 0, firstGo: 0, retried: 0, notFound: 0, anyFirstGo: 0, sessions: 0 };
const episodeDay = (day: number, channel: string, language: string, cohort: string, nodeId: string, n: Partial<typeof zero>) => ({
  day, channel, flowId: 'crop-advice', language, cohort, soughtFlowId: nodeId ? 'crop-advice' : '', nodeId, ...zero, ...n,
});
const profileDay = (day: number, field: string, value: string, n: Partial<typeof zero>) => ({ day, channel: 'ussd', flowId: 'crop-advice', field, value, ...zero, ...n });

type View = { sessions: number; contentRate: number | null; firstAttemptRate: number | null; firstSessions: number; firstSessionContentRate: number | null; stuckSessions: number; stuckRate: number | null; averageMenuSeconds: number | null };
type Group = Record<string, unknown> & { value?: string; nodeId?: string; episodes: number };
type Report = View & {
  soughtContent: Record<string, unknown> & { groups?: Group[] };
  endReasons: Record<string, number>;
  frictionSignals: Record<string, number>;
  byChannel: Record<string, View>;
  daily: Array<View & { day: string }>;
};

eachBackend((get) => {
  let store: DiscoveryStore;
  const run = async (q: Parameters<typeof range>[0] = {}, by?: string, profileFields: string[] | null = null) =>
    (await discoveryReport(store, days, range(q), { flows, by, profileFields })) as Report;

  beforeAll(async () => {
    const b = get();
    store = new DiscoveryStore(b.database);
    await b.plant(crmSessionDaily, [
      sessionDay(d2, 'ussd', 'crop-advice', { sessions: 5, contentSessions: 2, cleanSessions: 1, stuckSessions: 1, menuMs: 25_000, ends: { timeout: 1, user: 4 }, friction: { backs: 1 } }),
      sessionDay(d1, 'ussd', 'crop-advice', { sessions: 10, contentSessions: 6, cleanSessions: 4, stuckSessions: 2, firstSessions: 3, firstContentSessions: 2, menuMs: 50_000, ends: { timeout: 3, user: 7 }, friction: { invalid: 2 } }),
      sessionDay(d1, 'ivr', 'crop-advice', { sessions: 5, contentSessions: 5, cleanSessions: 5, firstSessions: 1, firstContentSessions: 1, menuMs: 10_000, ends: { user: 5 } }),
      sessionDay(d2, 'ivr', 'voice-guide', { sessions: 2, contentSessions: 1, cleanSessions: 1, menuMs: 4_000, ends: { hangup: 2 } }),
      sessionDay(outside, 'ussd', 'crop-advice', { sessions: 100, contentSessions: 100, ends: { timeout: 100 } }),
    ]);
    await b.plant(crmDiscoveryDaily, [
      episodeDay(d2, 'ussd', 'en', 'first_week', 'maize-pests', { episodes: 2, firstGo: 1, retried: 1, anyFirstGo: 1, sessions: 3 }),
      episodeDay(d2, 'ivr', 'en', 'first_week', '', { episodes: 1, notFound: 1, sessions: 2 }),
      episodeDay(d1, 'ussd', 'sw', 'established', 'beans-planting', { episodes: 2, firstGo: 1, retried: 1, anyFirstGo: 1, sessions: 3 }),
      episodeDay(d1, 'ussd', 'en', 'first_week', 'maize-planting', { episodes: 4, firstGo: 3, retried: 1, anyFirstGo: 3, sessions: 5 }),
      episodeDay(outside, 'ussd', 'en', 'first_week', 'maize-planting', { episodes: 50, firstGo: 50, anyFirstGo: 50, sessions: 50 }),
    ]);
    await b.plant(crmDiscoveryProfileDaily, [
      // 6 of the 9 episodes have a gender: 4 female (3 first go), 2 male (1 first go); 3 unknown (1 first go).
      profileDay(d1, 'gender', '', { episodes: 6, firstGo: 4, retried: 2, sessions: 8 }),
      profileDay(d1, 'gender', 'male', { episodes: 2, firstGo: 1, retried: 1, sessions: 3 }),
      profileDay(d1, 'gender', 'female', { episodes: 4, firstGo: 3, retried: 1, sessions: 5 }),
      profileDay(outside, 'gender', 'female', { episodes: 40, firstGo: 40 }),
      // Every episode has a birth year: 1990 (36 in 2026) and 2001 (25).
      profileDay(d2, 'birthYear', '', { episodes: 9, firstGo: 5 }),
      profileDay(d2, 'birthYear', '1990', { episodes: 4, firstGo: 2 }),
      profileDay(d2, 'birthYear', '2001', { episodes: 5, firstGo: 3 }),
    ]);
    await b.plant(subscribers, [1, 2].map((id) => ({ id, msisdn: `+25470000000${id}`, firstSeenAt: 0, updatedAt: 0 })));
    await b.plant(crmOpenEpisodes, [1, 2].map((subscriberId) => ({ subscriberId, lastAt: 0, acc: { sessions: 1 } })));
  });

  it('sums the session rollups over the range: rates, end reasons and friction from the JSON columns, per channel and day', async () => {
    const r = await run();
    expect(r).toMatchObject({ sessions: 22, firstSessions: 4, stuckSessions: 3, averageMenuSeconds: 4 });
    expect(r.contentRate).toBeCloseTo(14 / 22, 4);
    expect(r.firstAttemptRate).toBeCloseTo(11 / 22, 4);
    expect(r.firstSessionContentRate).toBe(0.75);
    expect(r.endReasons).toEqual({ timeout: 4, user: 16, hangup: 2 });
    expect(r.frictionSignals).toEqual({ invalid: 2, backs: 1 });
    // Channels and days in key order, whatever order the rows were written in.
    expect(Object.keys(r.byChannel)).toEqual(['ivr', 'ussd']);
    expect(r.byChannel.ussd).toMatchObject({ sessions: 15, stuckSessions: 3, stuckRate: 0.2 });
    expect(r.byChannel.ivr).toMatchObject({ sessions: 7, contentRate: 0.8571 });
    expect(r.daily.map((d) => [d.day, d.sessions])).toEqual([['2026-11-02', 15], ['2026-11-03', 7]]);
  });

  it('counts the episodes found at the first go, after retries and not at all, and the open ones', async () => {
    const s = (await run()).soughtContent;
    expect(s).toMatchObject({ episodes: 9, foundFirstGo: 5, foundAfterRetries: 3, notFound: 1, firstGoRate: 0.5556, foundRate: 0.8889, anyContentFirstGoRate: 0.5556, sessionsPerEpisode: 1.44, openEpisodes: 2 });
    expect(s.firstGoInterval95).toEqual([expect.any(Number), expect.any(Number)]);
  });

  it('limits to a channel and to a flow', async () => {
    const ivr = await run({ channel: 'ivr' });
    expect(ivr).toMatchObject({ sessions: 7, endReasons: { user: 5, hangup: 2 } });
    expect(Object.keys(ivr.byChannel)).toEqual(['ivr']);
    expect(ivr.soughtContent).toMatchObject({ episodes: 1, notFound: 1, firstGoRate: 0 });
    const voice = await run({ flow: 'voice-guide' });
    expect(voice).toMatchObject({ sessions: 2, endReasons: { hangup: 2 }, soughtContent: { episodes: 0, firstGoRate: null, firstGoInterval95: null } });
    const crop = await run({ flow: 'crop-advice', channel: 'ussd' });
    expect(crop).toMatchObject({ sessions: 15, soughtContent: { episodes: 8, foundFirstGo: 5 } });
  });

  it('an empty range has no sessions and no episodes (the open ones still show)', async () => {
    const r = await run({ from: '2026-10-01', to: '2026-10-02' });
    expect(r).toMatchObject({ sessions: 0, contentRate: null, averageMenuSeconds: null, endReasons: {}, byChannel: {}, daily: [] });
    expect(r.soughtContent).toMatchObject({ episodes: 0, firstGoRate: null, openEpisodes: 2 });
  });

  it('by=node: hardest to find first, ties in the order the content was first sought', async () => {
    const s = (await run({}, 'node')).soughtContent;
    expect(s.groups!.map((g) => g.nodeId)).toEqual(['beans-planting', 'maize-pests', 'maize-planting']);
    expect(s.groups![2]).toMatchObject({ flowId: 'crop-advice', topic: 'Planting', episodes: 4, foundFirstGo: 3, firstGoRate: 0.75 });
    expect(s.notFoundEpisodes).toBe(1);
  });

  it('by=channel and by=cohort: largest first', async () => {
    const ch = (await run({}, 'channel')).soughtContent.groups!;
    expect(ch.map((g) => [g.value, g.episodes])).toEqual([['ussd', 8], ['ivr', 1]]);
    const cohort = (await run({}, 'cohort')).soughtContent.groups!;
    expect(cohort.map((g) => [g.value, g.episodes, g.foundFirstGo])).toEqual([['first_week', 7, 4], ['established', 2, 1]]);
    expect(cohort[0]!.label).toMatch(/first week/);
  });

  it('by a profile field: each value, and the episodes without it as unknown; by=ageBand from birth years', async () => {
    const g = (await run({}, 'gender', ['gender', 'birthYear'])).soughtContent.groups!;
    expect(g.map((x) => [x.value, x.episodes, x.foundFirstGo])).toEqual([['female', 4, 3], ['unknown', 3, 1], ['male', 2, 1]]);
    const age = (await run({}, 'ageBand', ['gender', 'birthYear'])).soughtContent;
    expect(age.groups!.map((x) => [x.value, x.episodes])).toEqual([['25-34', 5], ['35-44', 4]]);
    expect(age.ageAsOfYear).toBe(2026);
  });
});
