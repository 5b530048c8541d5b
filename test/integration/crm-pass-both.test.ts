import { sql, type SQL } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { CrmState } from '../../src/crm/crm-state-store';
import { IngestStore } from '../../src/crm/ingest-store';
import { json } from '../../src/db/portable';
import { name } from '../../src/db/statement';
import { crmDiscoveryDaily, crmFindings, crmMenuDaily, crmNodeDaily, crmOpenSessions, crmSessionDaily, crmSubscribers, crmTierRevenueDaily, subscribers, usageEvents } from '../../src/db/schema';
import { FlowRegistry } from '../../src/engine/flow-registry';
import { loadFlowsOrThrow } from '../../src/engine/flow-loader';
import { eachBackend, type Backend } from '../helpers/backends';
import { bareCrmService } from '../helpers/crm-pass';

// The CRM pass's spine on both engines: a small usage log with known outcomes (two stuck sessions of
// one subscriber, a session that reached content, a charge, a session still open) is read from the
// cursor on and written in one unit: activity, the daily rollups, revenue per tier, the open session
// and the cursor. A second pass with nothing new changes nothing; the pass lease lets one process run.
// The whole pass runs through CrmService on each engine, its detectors storing the stuck finding.

const config = loadConfig({ env: {} });
const flows = new FlowRegistry(loadFlowsOrThrow('flows'));
const T0 = Date.parse('2026-11-02T06:00:00Z');
const MIN = 60_000;
const NOW = T0 + 6 * 3_600_000;

type Event = typeof usageEvents.$inferInsert;

/** A USSD session on crop-advice from `at`: its steps after the start, then an end with `reason`. */
function session(sub: number, id: string, at: number, steps: [string, string][], reason: string): Event[] {
  const base = { subscriberId: sub, channel: 'ussd', sessionId: id, flowId: 'crop-advice' };
  return [
    { ...base, at, type: 'session_start', nodeId: 'main' },
    ...steps.map(([type, nodeId], i) => ({ ...base, at: at + (i + 1) * 10_000, type, nodeId })),
    { ...base, at: at + (steps.length + 1) * 10_000, type: 'session_end', nodeId: steps.at(-1)![1], detail: { reason, depth: 1 } },
  ];
}

const lost: [string, string][] = [
  ['menu', 'main'],
  ['input_invalid', 'main'],
  ['input_invalid', 'main'],
];
const found: [string, string][] = [
  ['menu', 'main'],
  ['menu', 'crops'],
  ['menu', 'maize'],
  ['content', 'maize-planting'],
];

const EVENTS: Event[] = [
  ...session(1, 's1', T0, lost, 'user_exit'),
  ...session(1, 's2', T0 + 30 * MIN, lost, 'user_exit'),
  ...session(2, 's3', T0 + 60 * MIN, found, 'completed'),
  { at: T0 + 90 * MIN, subscriberId: 3, channel: 'sms', type: 'billing', detail: { event: 'subscribed', serviceId: 'crop-daily', subscriptionId: 'sub_3', amount: 5 } },
  // Still open when the pass runs: carried to the next pass as its running summary.
  { at: NOW - MIN, subscriberId: 2, channel: 'ussd', type: 'session_start', sessionId: 's4', flowId: 'crop-advice', nodeId: 'main' },
];

interface Ran {
  skipped?: string;
  events: number;
  sessions: number;
  stuckSessions: number;
  stuck?: number;
}

/** One whole pass through CrmService on `conn` (by default `b` itself; another connection is another process). */
async function pass(b: Backend, now: number, conn: { database: Backend['database']; units: Backend['units'] } = b): Promise<Ran> {
  const s = await bareCrmService({ ...(b.db && conn === b ? { db: b.db } : {}), database: conn.database, units: conn.units }, config, flows, now).runPass(now);
  return { ...(s.skipped ? { skipped: s.skipped } : {}), events: s.events, sessions: s.sessions, stuckSessions: s.stuckSessions, stuck: s.findings.stuck ?? 0 };
}

/** What a pass leaves in the tables a user's reports read, engine-neutral. */
async function tables(b: Backend): Promise<Record<string, unknown[]>> {
  const c = crmSubscribers;
  const d = crmSessionDaily;
  const r = crmTierRevenueDaily;
  const o = crmOpenSessions;
  const n = crmNodeDaily;
  const m = crmMenuDaily;
  const e = crmDiscoveryDaily;
  const rows = (q: SQL) => b.database.all<Record<string, unknown>>(q);
  return {
    activity: await rows(
      sql`SELECT ${c.subscriberId} AS "sub", ${c.sessions} AS "sessions", ${c.ussdSessions} AS "ussd", ${c.contentSessions} AS "content", ${c.stuckSessions} AS "stuck", ${c.activeDays} AS "activeDays",
          ${c.lastSessionAt} AS "lastSessionAt", ${c.lastContentAt} AS "lastContentAt", ${c.chargesRecent} AS "charges" FROM ${c} ORDER BY 1`,
    ).then((xs) => xs.map((x) => ({ ...x, charges: typeof x.charges === 'string' ? JSON.parse(x.charges) : x.charges }))),
    sessionDaily: await rows(sql`SELECT ${d.flowId} AS "flow", ${d.sessions} AS "sessions", ${d.contentSessions} AS "content", ${d.stuckSessions} AS "stuck" FROM ${d} ORDER BY 1`),
    tierRevenue: await rows(sql`SELECT ${r.tier} AS "tier", ${r.revenueMinor} AS "revenue", ${r.charges} AS "charges" FROM ${r} ORDER BY 1`),
    open: await rows(sql`SELECT ${o.sessionId} AS "id", ${o.subscriberId} AS "sub" FROM ${o} ORDER BY 1`),
    nodeDaily: await rows(sql`SELECT ${n.nodeId} AS "node", ${n.views} AS "views", ${n.sessions} AS "sessions", ${n.invalid} AS "invalid", ${n.exits} AS "exits" FROM ${n} ORDER BY 1`).then((xs) =>
      xs.map((x) => ({ ...x, exits: json(x.exits) })),
    ),
    menuDaily: await rows(sql`SELECT ${m.nodeId} AS "node", ${m.views} AS "views", ${m.picks} AS "picks", ${m.invalidViews} AS "invalidViews" FROM ${m} ORDER BY 1`).then((xs) =>
      xs.map((x) => ({ ...x, picks: json(x.picks) })),
    ),
    discovery: await rows(
      sql`SELECT ${e.soughtFlowId} AS "soughtFlow", ${e.nodeId} AS "node", ${e.episodes} AS "episodes", ${e.firstGo} AS "firstGo", ${e.notFound} AS "notFound", ${e.sessions} AS "sessions" FROM ${e} ORDER BY 1, 2`,
    ),
    cursor: [await new CrmState(b.database).get<number | null>('cursor', null)],
  };
}

eachBackend((get) => {
  beforeAll(async () => {
    const b = get();
    await b.plant(subscribers, [1, 2, 3].map((id) => ({ id, msisdn: `+25475600000${id}`, firstSeenAt: T0 - 30 * 86_400_000, updatedAt: T0 })));
    await b.plant(usageEvents, EVENTS);
  });

  it('reads the log once and writes activity, rollups, revenue, the open session and the cursor in one unit', async () => {
    const b = get();
    const ran = await pass(b, NOW);
    expect(ran).toMatchObject({ events: EVENTS.length, sessions: 3, stuckSessions: 2 });
    // The detectors see subscriber 1's two stuck sessions: one stuck finding (SQLite runs them).
    expect(ran.stuck).toBe(1);
    const t = await tables(b);
    expect(t.activity).toEqual([
      { sub: 1, sessions: 2, ussd: 2, content: 0, stuck: 2, activeDays: 1, lastSessionAt: T0 + 30 * MIN, lastContentAt: null, charges: null },
      { sub: 2, sessions: 1, ussd: 1, content: 1, stuck: 0, activeDays: 1, lastSessionAt: T0 + 60 * MIN, lastContentAt: T0 + 60 * MIN + 40_000, charges: null },
      { sub: 3, sessions: 0, ussd: 0, content: 0, stuck: 0, activeDays: 0, lastSessionAt: null, lastContentAt: null, charges: [[T0 + 90 * MIN, 'crop-daily', 2, 500]] },
    ]);
    expect(t.sessionDaily).toEqual([{ flow: 'crop-advice', sessions: 3, content: 1, stuck: 2 }]);
    expect(t.tierRevenue).toEqual([{ tier: 'none', revenue: 500, charges: 1 }]);
    expect(t.open).toEqual([{ id: 's4', sub: 2 }]);
    // Every session shows the main menu; the two stuck ones end there after two invalid inputs each.
    expect(t.nodeDaily).toEqual([
      { node: 'crops', views: 1, sessions: 1, invalid: 0, exits: {} },
      { node: 'main', views: 3, sessions: 3, invalid: 4, exits: { user_exit: 2 } },
      { node: 'maize', views: 1, sessions: 1, invalid: 0, exits: {} },
      { node: 'maize-planting', views: 1, sessions: 1, invalid: 0, exits: { completed: 1 } },
    ]);
    expect(t.menuDaily).toEqual([
      { node: 'crops', views: 1, picks: { maize: 1 }, invalidViews: 0 },
      { node: 'main', views: 3, picks: { crops: 1 }, invalidViews: 2 },
      { node: 'maize', views: 1, picks: { 'maize-planting': 1 }, invalidViews: 0 },
      { node: 'maize-planting', views: 1, picks: {}, invalidViews: 0 },
    ]);
    // Subscriber 1's two sessions are one episode that found nothing; subscriber 2's stays open with their open session.
    expect(t.discovery).toEqual([{ soughtFlow: '', node: '', episodes: 1, firstGo: 0, notFound: 1, sessions: 2 }]);
    const last = await b.database.get<{ m: number }>(sql`SELECT max(${usageEvents.id}) AS "m" FROM ${usageEvents}`);
    expect(t.cursor).toEqual([last!.m]);
    const f = crmFindings;
    const found = await b.database.all<{ sub: number; kind: string }>(sql`SELECT ${f.subscriberId} AS "sub", ${f.kind} AS "kind" FROM ${f} ORDER BY 1, 2`);
    // All three are new (onboarding's welcome), and subscriber 1 was stuck in their first sessions too.
    expect(found).toEqual([
      { sub: 1, kind: 'first_sessions_stuck' },
      { sub: 1, kind: 'new_subscriber' },
      { sub: 1, kind: 'stuck' },
      { sub: 2, kind: 'new_subscriber' },
      { sub: 3, kind: 'new_subscriber' },
    ]);
  });

  it('a second pass with no new events changes nothing', async () => {
    const b = get();
    const before = await tables(b);
    const ran = await pass(b, NOW);
    expect(ran).toMatchObject({ events: 0, sessions: 0, stuckSessions: 0 });
    expect(ran.stuck).toBe(0);
    expect(await tables(b)).toEqual(before);
  });

  it('lets one process hold the pass lease: another skips until it is given back or has expired', async () => {
    const b = get();
    const other = await b.reopen();
    try {
      const here = new CrmState(b.database);
      const there = new CrmState(other.database);
      const lease = 60_000;
      expect(await other.units.unit((tx) => there.claim('there', NOW, NOW + lease, tx))).toBe(true);
      expect(await b.units.unit((tx) => here.claim('here', NOW + 1, NOW + 1 + lease, tx))).toBe(false);
      // A whole pass meanwhile is skipped, and reads nothing.
      expect(await pass(b, NOW + 2)).toMatchObject({ skipped: 'another pass is running', events: 0 });
      await other.units.unit((tx) => there.release('there', tx));
      expect(await b.units.unit((tx) => here.claim('here', NOW + 3, NOW + 3 + lease, tx))).toBe(true);
      // The holder died: after its lease expires another process takes over.
      expect(await other.units.unit((tx) => there.claim('there', NOW + 4, NOW + 4 + lease, tx))).toBe(false);
      expect(await other.units.unit((tx) => there.claim('there', NOW + 3 + lease, NOW + 3 + 2 * lease, tx))).toBe(true);
      await other.units.unit((tx) => there.release('there', tx));
    } finally {
      await other.close();
    }
  });

  it('two processes claiming at the same moment: exactly one gets the lease', async (ctx) => {
    const b = get();
    // SQLite's two connections in one process cannot both be mid-transaction (the second would wait on
    // the first's commit, which waits on this thread): the race is PostgreSQL's, where passes of
    // several gateway processes share one database.
    if (b.dialect === 'sqlite') ctx.skip();
    const other = await b.reopen();
    try {
      const at = NOW + 10 * 60_000;
      const [x, y] = await Promise.all([
        b.units.unit((tx) => new CrmState(b.database).claim('here', at, at + 60_000, tx)),
        other.units.unit((tx) => new CrmState(other.database).claim('there', at, at + 60_000, tx)),
      ]);
      expect([x, y].filter(Boolean)).toHaveLength(1);
      const winner = x ? b : other;
      await winner.units.unit((tx) => new CrmState(winner.database).release(x ? 'here' : 'there', tx));
    } finally {
      await other.close();
    }
  });

  it('the end of the log waits for an event still being inserted by another process, so the cursor never passes it', async (ctx) => {
    const b = get();
    // SQLite has one writer at a time: an id it shows is committed in order. PostgreSQL draws ids first.
    if (b.dialect === 'sqlite') ctx.skip();
    const other = await b.reopen();
    try {
      let commit!: () => void;
      const held = new Promise<void>((r) => (commit = r));
      let inserted!: () => void;
      const insertedOne = new Promise<void>((r) => (inserted = r));
      const e = usageEvents;
      const inserting = other.units.unit(async (tx) => {
        await tx.run(sql`INSERT INTO ${e} (${name(e.at)}, ${name(e.subscriberId)}, ${name(e.channel)}, ${name(e.type)}) VALUES (${NOW}, 1, 'sms', 'sms_in')`);
        inserted();
        await held;
      });
      await insertedOne;
      let done = false;
      const reading = b.units.unit((tx) => IngestStore.of(b.database).lastEventId(tx)).finally(() => (done = true));
      await new Promise((r) => setTimeout(r, 200));
      const waited = !done;
      commit();
      await inserting;
      expect(waited).toBe(true);
      const last = await b.database.get<{ m: number }>(sql`SELECT max(${e.id}) AS "m" FROM ${e}`);
      expect(await reading).toBe(last!.m);
    } finally {
      await other.close();
    }
  });
});
