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
    const c = gw.core.db.$client;
    const addSub = c.prepare('INSERT INTO subscribers (id, msisdn, first_seen_at, updated_at) VALUES (?, ?, ?, ?)');
    const addSubscription = c.prepare(
      "INSERT INTO subscriptions (id, subscriber_id, service_id, state, currency, evaluated_at, created_at, updated_at) VALUES (?, ?, ?, 'active', 'KES', ?, ?, ?)",
    );
    c.transaction(() => {
      for (let id = 1; id <= SUBSCRIBERS; id++) {
        addSub.run(id, `+2547${String(id).padStart(8, '0')}`, T0, T0);
        // Every third subscriber never subscribed; every fifth has two subscriptions, the later one written first.
        if (id % 3 === 0) continue;
        const first = T0 + id * 60_000;
        if (id % 5 === 0) addSubscription.run(`sub_w_${id}`, id, 'crop-weekly', first + 86_400_000, first + 86_400_000, first);
        addSubscription.run(`sub_d_${id}`, id, 'crop-daily', first, first, first);
        planted.set(id, first);
      }
    })();
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
