import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
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
  it('writes subscribers, sessions through the real flow, subscriptions and billing, with stuck sessions', () => {
    const db = fresh();
    const s = new PopulationGenerator(db, flows, config).generate({ subscribers: 500, days: 10, seed: 9, startAt: START, now: START });
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

  it('appending days gives exactly what a longer first run gives', () => {
    const whole = fresh();
    // The same 300 people (they all first appear within the first six days), followed for nine days.
    new PopulationGenerator(whole, flows, config).generate({ subscribers: 300, days: 9, joinDays: 6, seed: 4, startAt: START, now: START });
    const split = fresh();
    const gen = new PopulationGenerator(split, flows, config);
    gen.generate({ subscribers: 300, days: 6, seed: 4, startAt: START, now: START });
    const more = gen.append(3);
    expect(more).toMatchObject({ fromDay: 6, toDay: 9 });
    const a = dump(whole);
    const b = dump(split);
    expect(b.events).toEqual(a.events);
    expect(b.billing).toEqual(a.billing);
    expect(b.subscriptions).toEqual(a.subscriptions);
  });

  it('refuses a database that already has subscribers', () => {
    const db = fresh();
    const gen = new PopulationGenerator(db, flows, config);
    gen.generate({ subscribers: 5, days: 1, startAt: START, now: START });
    expect(() => gen.generate({ subscribers: 5, days: 1, startAt: START, now: START })).toThrow(/already has subscribers/);
  });
});
