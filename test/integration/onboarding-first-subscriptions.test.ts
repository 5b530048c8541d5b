import { sql, type SQL } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnboardingStore } from '../../src/crm/onboarding/onboarding-store';
import { testGateway, type TestGateway } from '../helpers/gateway';

// A full pass asks when tens of thousands of new subscribers first subscribed; above a few thousand the
// store scans the subscriptions once instead of asking per subscriber. Both ways must give the same answer.
describe('onboarding: first subscription of many subscribers at once', () => {
  let gw: TestGateway;
  const SUBSCRIBERS = 6000;
  const T0 = Date.parse('2026-10-01T00:00:00Z');
  const planted = new Map<number, number>();

  beforeAll(async () => {
    gw = await testGateway();
    const subs: SQL[] = [];
    const subscriptions: SQL[] = [];
    for (let id = 1; id <= SUBSCRIBERS; id++) {
      subs.push(sql`(${id}, ${`+2547${String(id).padStart(8, '0')}`}, ${T0}, ${T0})`);
      // Every third subscriber never subscribed; every fifth has two subscriptions, the later one written first.
      if (id % 3 === 0) continue;
      const first = T0 + id * 60_000;
      if (id % 5 === 0) subscriptions.push(sql`(${`sub_w_${id}`}, ${id}, 'crop-weekly', 'active', 'KES', ${first + 86_400_000}, ${first + 86_400_000}, ${first})`);
      subscriptions.push(sql`(${`sub_d_${id}`}, ${id}, 'crop-daily', 'active', 'KES', ${first}, ${first}, ${first})`);
      planted.set(id, first);
    }
    // In batches: a statement's parameters are bounded (SQLite 32766, PostgreSQL 65535).
    const db = gw.core.database;
    for (let i = 0; i < subs.length; i += 1000) {
      await db.run(sql`INSERT INTO subscribers (id, msisdn, first_seen_at, updated_at) VALUES ${sql.join(subs.slice(i, i + 1000), sql`, `)}`);
    }
    for (let i = 0; i < subscriptions.length; i += 1000) {
      await db.run(
        sql`INSERT INTO subscriptions (id, subscriber_id, service_id, state, currency, evaluated_at, created_at, updated_at) VALUES ${sql.join(subscriptions.slice(i, i + 1000), sql`, `)}`,
      );
    }
  });
  afterAll(async () => {
    await gw.stop();
  });

  it('finds the earliest subscription of each subscriber asked about, by one scan as by lookups', async () => {
    const store = new OnboardingStore(gw.core.database);
    const asked = new Set<number>();
    for (let id = 2; id <= SUBSCRIBERS + 200; id += 1) if (id % 7 !== 0) asked.add(id);
    expect(asked.size).toBeGreaterThan(4096);
    const many = await store.firstSubscriptionsOf(asked);
    const expected = new Map([...asked].filter((id) => planted.has(id)).map((id) => [id, planted.get(id)!]));
    expect(many).toEqual(expected);
    for (const id of [2, 5, 10, 3, SUBSCRIBERS + 10]) expect(many.get(id) ?? null).toBe(await store.firstSubscriptionAt(id));

    const few = await store.firstSubscriptionsOf(new Map([[10, 'x'], [3, 'y'], [4, 'z']]));
    expect(few).toEqual(new Map([[10, planted.get(10)], [4, planted.get(4)]]));
  });
});
