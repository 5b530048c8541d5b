import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { DEMOGRAPHY_TRUTH, plantedShares } from '../../src/crm/generator/demography';
import { flowRoutes } from '../../src/crm/generator/flow-paths';
import { CROPS } from '../../src/crm/generator/model';
import { PopulationGenerator } from '../../src/crm/generator/population';
import { migrateDb, openDb, type Db } from '../../src/db/client';
import { FlowRegistry } from '../../src/engine/flow-registry';
import { loadFlowsOrThrow } from '../../src/engine/flow-loader';

const config = loadConfig({ env: {} });
const flows = new FlowRegistry(loadFlowsOrThrow('flows'));
const START = Date.parse('2026-11-01T21:00:00Z'); // midnight in Nairobi

function fresh(): Db {
  const db = openDb({ path: ':memory:' });
  migrateDb(db);
  return db;
}

const dump = (db: Db) => ({
  events: db.$client.prepare('SELECT * FROM usage_events ORDER BY id').raw().all(),
  subscriptions: db.$client
    .prepare('SELECT id, subscriber_id, service_id, state, state_entered_at, renewals, consecutive_failures, last_charged_at, next_renewal_at, revenue_minor FROM subscriptions ORDER BY id')
    .raw()
    .all(),
  billing: db.$client.prepare('SELECT * FROM billing_events ORDER BY id').raw().all(),
});

describe('population generator', () => {
  it('writes subscribers, sessions through the real flow, subscriptions and billing, with stuck sessions', async () => {
    const db = fresh();
    const s = await new PopulationGenerator(db, flows, config).generate({ subscribers: 500, days: 10, seed: 9, startAt: START, now: START });
    const c = db.$client;
    expect(s.subscribers).toBe(500);
    expect(s.events).toBe((c.prepare('SELECT count(*) AS n FROM usage_events').get() as { n: number }).n);
    expect(s.sessions).toBe((c.prepare("SELECT count(*) AS n FROM sessions WHERE status = 'ended'").get() as { n: number }).n);
    expect(s.stuckSessions).toBeGreaterThan(0);
    expect(s.subscriptions).toBeGreaterThan(50);
    const nodes = (c.prepare("SELECT DISTINCT node_id FROM usage_events WHERE type = 'content'").all() as { node_id: string }[]).map((r) => r.node_id);
    for (const n of nodes) expect(flows.byId('crop-advice')!.nodes[n]?.type).toBe('content');
    const states = (c.prepare('SELECT DISTINCT state FROM subscriptions').all() as { state: string }[]).map((r) => r.state).sort();
    expect(states).toEqual(expect.arrayContaining(['active', 'cancelled']));
    const profile = c.prepare('SELECT count(DISTINCT region) AS r, count(DISTINCT crop) AS c, count(DISTINCT language) AS l FROM subscribers').get();
    expect(profile).toEqual({ r: 10, c: 5, l: 2 });
    // Events are in time order, as a live gateway writes them (sessions whole, by start).
    const starts = (c.prepare("SELECT at FROM usage_events WHERE type = 'session_start' ORDER BY id").all() as { at: number }[]).map((r) => r.at);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
  });

  it('appending days gives exactly what a longer first run gives', async () => {
    const whole = fresh();
    // The same 300 people (they all first appear within the first six days), followed for nine days.
    await new PopulationGenerator(whole, flows, config).generate({ subscribers: 300, days: 9, joinDays: 6, seed: 4, startAt: START, now: START });
    const split = fresh();
    const gen = new PopulationGenerator(split, flows, config);
    await gen.generate({ subscribers: 300, days: 6, seed: 4, startAt: START, now: START });
    const more = await gen.append(3);
    expect(more).toMatchObject({ fromDay: 6, toDay: 9 });
    const a = dump(whole);
    const b = dump(split);
    expect(b.events).toEqual(a.events);
    expect(b.billing).toEqual(a.billing);
    expect(b.subscriptions).toEqual(a.subscriptions);
  });

  it('gives every subscriber a typed profile and starts subscriptions throughout the period, not only on first contact', async () => {
    const db = fresh();
    await new PopulationGenerator(db, flows, config).generate({ subscribers: 2000, days: 30, joinDays: 5, seed: 2, startAt: START, now: START });
    const c = db.$client;
    const rows = c.prepare('SELECT region, crop, profile FROM subscribers').all() as { region: string; crop: string; profile: string }[];
    for (const r of rows) {
      const p = JSON.parse(r.profile) as Record<string, unknown>;
      expect(p).toEqual({ gender: expect.stringMatching(/^(female|male|other)$/), birthYear: expect.any(Number), district: expect.any(String), crops: expect.arrayContaining([r.crop]), farmSize: expect.any(Number) });
      expect(r.region).toEqual(expect.any(String));
      expect(p.birthYear as number).toBeGreaterThanOrEqual(1950);
      expect(p.farmSize as number).toBeGreaterThanOrEqual(0);
    }
    const women = rows.filter((r) => (JSON.parse(r.profile) as { gender: string }).gender === 'female').length / rows.length;
    expect(Math.abs(women - DEMOGRAPHY_TRUTH.gender.female)).toBeLessThan(0.05);
    // Everyone has joined by day 5, yet subscriptions keep starting up to the end.
    const perDay = c.prepare("SELECT (at - ?) / 86400000 AS day, count(*) AS n FROM billing_events WHERE type = 'subscribed' GROUP BY 1").all(START) as { day: number; n: number }[];
    expect(perDay.filter((d) => d.day >= 10 && d.n > 0).length).toBeGreaterThanOrEqual(15);
  });

  it('plants the content differences: women aim at market prices more, the young leave the weather menu', async () => {
    const routes = flowRoutes(flows.byId('crop-advice')!, CROPS);
    const p = plantedShares(routes);
    expect(p.marketFemale / p.marketOthers).toBeGreaterThan(2);
    expect(p.weatherYoung / p.weatherOthers).toBeCloseTo(1 - DEMOGRAPHY_TRUTH.weather.dropOut, 5);
    // In the log: the young's sessions that end at the weather menu without content.
    const db = fresh();
    await new PopulationGenerator(db, flows, config).generate({ subscribers: 1500, days: 10, seed: 5, startAt: START, now: START });
    const ends = db.$client
      .prepare(
        `SELECT json_extract(s.profile, '$.birthYear') >= 1998 AS young, count(*) AS n, sum(e.node_id = 'weather') AS weatherExits
         FROM usage_events e JOIN subscribers s ON s.id = e.subscriber_id WHERE e.type = 'session_end' GROUP BY 1`,
      )
      .all() as { young: number; n: number; weatherExits: number }[];
    const rate = (y: number) => ends.find((r) => r.young === y)!.weatherExits / ends.find((r) => r.young === y)!.n;
    expect(rate(1)).toBeGreaterThan(2 * rate(0));
  });

  it('refuses a database that already has subscribers', async () => {
    const db = fresh();
    const gen = new PopulationGenerator(db, flows, config);
    await gen.generate({ subscribers: 5, days: 1, startAt: START, now: START });
    await expect(gen.generate({ subscribers: 5, days: 1, startAt: START, now: START })).rejects.toThrow(/already has subscribers/);
  });
});
