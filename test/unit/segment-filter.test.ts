import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY } from '../../src/lib/clock';
import { testGateway, type TestGateway } from '../helpers/gateway';
import { ensureSubscriber, recordUsage, setOptOut, subscriberId, updateProfile } from '../helpers/subscribers';

// Segment filters over a small known population; counts and the numbers matched are what a content
// team sees in the preview, so that is what is asserted.

let gw: TestGateway;
const NOW = Date.parse('2026-11-20T09:00:00Z');

const people: { n: string; region?: string; crop?: string; language?: string; operator?: string; seenDaysAgo: number; extra?: Record<string, string> }[] = [
  { n: '+254700000001', region: 'Nakuru', crop: 'maize', language: 'sw', seenDaysAgo: 1 },
  { n: '+254700000002', region: 'nakuru', crop: 'Maize', language: 'en', seenDaysAgo: 10 },
  { n: '+254700000003', region: 'Nakuru', crop: 'beans', language: 'sw', seenDaysAgo: 40 },
  { n: '+254700000004', region: 'Kisumu', crop: 'maize', language: 'sw', seenDaysAgo: 2, extra: { farmSize: '1' } },
  { n: '+254700000005', region: 'Kisumu', crop: 'cassava', language: 'en', seenDaysAgo: 90, extra: { farmSize: '8' } },
  { n: '+254700000006', seenDaysAgo: 0 },
];

const matching = async (filter: Record<string, unknown>) => {
  const f = await gw.core.segments.validate(filter);
  return (await gw.core.segments.sample(f, 100)).sort();
};

beforeAll(async () => {
  gw = await testGateway({ services: [{ id: 'crop-daily', name: 'Crop advice', price: 5, currency: 'KES', period: 'daily', shortCode: '20123', keywords: ['SHAMBA'], operators: {} }] });
  for (const p of people) {
    const s = await ensureSubscriber(gw.core, p.n, { at: NOW - p.seenDaysAgo * DAY });
    const patch: Record<string, string> = { ...p.extra };
    for (const k of ['region', 'crop', 'language'] as const) if (p[k]) patch[k] = p[k]!;
    if (Object.keys(patch).length) await updateProfile(gw.core, s.id, patch);
  }
  const ids = new Map<string, number>();
  for (const p of people) ids.set(p.n, await subscriberId(gw.core, p.n));
  const id = (n: string) => ids.get(n)!;
  await recordUsage(gw.core, [
    { at: NOW - 3 * DAY, subscriberId: id('+254700000001'), channel: 'ussd', type: 'content', flowId: 'crop-advice', nodeId: 'maize-planting' },
    { at: NOW - 20 * DAY, subscriberId: id('+254700000004'), channel: 'ussd', type: 'content', flowId: 'crop-advice', nodeId: 'beans-planting' },
  ]);
  // Subscription states and a CRM finding as their owners store them.
  await gw.core.commits.unit(async (tx) => {
    for (const [sub, n, state] of [['sub_1', '+254700000001', 'active'], ['sub_2', '+254700000002', 'grace'], ['sub_3', '+254700000003', 'cancelled']] as const) {
      await tx.run(sql`INSERT INTO subscriptions (id, subscriber_id, service_id, state, currency, evaluated_at, created_at, updated_at) VALUES (${sub}, ${id(n)}, 'crop-daily', ${state}, 'KES', 0, 0, 0)`);
    }
    await tx.run(sql`INSERT INTO crm_findings (id, subscriber_id, kind, dedupe_key, status, reason, detail, detected_at, not_before, expires_at) VALUES ('f1', ${id('+254700000004')}, 'stuck', 'k1', 'open', 'r', '{}', 0, 0, 0)`);
  });
  await setOptOut(gw.core, id('+254700000006'), true);
});
afterAll(async () => gw.stop());

describe('segment filters', () => {
  it('matches profile fields case-insensitively, a list meaning any of', async () => {
    expect(await matching({ region: 'NAKURU', crop: 'maize' })).toEqual(['+254700000001', '+254700000002']);
    expect(await matching({ crop: ['cassava', 'beans'] })).toEqual(['+254700000003', '+254700000005']);
    expect(await matching({ language: 'sw', region: 'kisumu' })).toEqual(['+254700000004']);
    expect(await matching({ profile: { farmSize: { min: 5 } } })).toEqual(['+254700000005']);
  });

  it('leaves opted-out subscribers out unless asked', async () => {
    expect(await matching({})).toHaveLength(5);
    expect(await matching({ includeOptedOut: true })).toHaveLength(6);
  });

  it('filters on activity: last seen and content reached', async () => {
    expect(await matching({ lastSeenWithinDays: 7 })).toEqual(['+254700000001', '+254700000004']);
    expect(await matching({ notSeenForDays: 30 })).toEqual(['+254700000003', '+254700000005']);
    expect(await matching({ content: { reached: true } })).toEqual(['+254700000001', '+254700000004']);
    expect(await matching({ content: { reached: true, nodeId: 'maize-planting' } })).toEqual(['+254700000001']);
    expect(await matching({ content: { reached: true, withinDays: 7 } })).toEqual(['+254700000001']);
    expect(await matching({ content: { reached: false }, region: 'Kisumu' })).toEqual(['+254700000005']);
  });

  it('filters on subscription state (none = no live subscription) and CRM flags', async () => {
    expect(await matching({ subscriptionState: 'active' })).toEqual(['+254700000001']);
    expect(await matching({ subscriptionState: ['active', 'grace'], service: 'crop-daily' })).toEqual(['+254700000001', '+254700000002']);
    expect(await matching({ subscriptionState: 'none' })).toEqual(['+254700000003', '+254700000004', '+254700000005']);
    expect(await matching({ crmFlags: 'stuck' })).toEqual(['+254700000004']);
  });

  it('filters on poll answers', async () => {
    const poll = await gw.core.polls.create({ type: 'choice', question: { en: 'Useful?' }, answers: [{ en: 'Yes' }, { en: 'No' }] });
    const [one, two] = [await subscriberId(gw.core, '+254700000001'), await subscriberId(gw.core, '+254700000002')];
    await gw.core.commits.unit((tx) => gw.core.polls.recordAnswer(tx, poll, one, 0, { channel: 'sms', at: NOW }));
    await gw.core.commits.unit((tx) => gw.core.polls.recordAnswer(tx, poll, two, 1, { channel: 'ussd', at: NOW }));
    expect(await matching({ poll: { pollId: poll.id } })).toEqual(['+254700000001', '+254700000002']);
    expect(await matching({ poll: { pollId: poll.id, answers: [1] } })).toEqual(['+254700000002']);
    expect(await matching({ poll: { pollId: poll.id, answered: false }, region: 'nakuru' })).toEqual(['+254700000003']);
  });

  it('rejects filters it cannot run, saying what is wrong', async () => {
    const err = async (f: unknown) => {
      try {
        await gw.core.segments.validate(f);
        return null;
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(await err({ regoin: 'Nakuru' })).toMatch(/filter.regoin is not a filter key \(known keys: region, crop/);
    expect(await err({ lastSeenWithinDays: -1 })).toMatch(/lastSeenWithinDays/);
    expect(await err({ subscriptionState: 'zombie' })).toMatch(/subscriptionState must be one of none, pending, active/);
    expect(await err({ region: 5 })).toMatch(/region must be a text or a list of texts/);
    expect(await err({ profile: { 'farm-size': 'x' } })).toMatch(/not a profile field name/);
    expect(await err({ poll: { pollId: 'pol_nope' } })).toMatch(/no poll with id pol_nope/);
    expect(await err({ lastSeenWithinDays: 7, notSeenForDays: 30 })).toMatch(/nobody can match/);
    expect(await err({ subscriptionState: 'active', service: 'crop-dialy' })).toBe('filter.service: no service "crop-dialy" (configured: crop-daily).');
  });
});
