import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SegmentFilter } from '../../src/campaigns/segment-filter';
import { compileFilter, SegmentRepo } from '../../src/campaigns/segment-repo';
import { SegmentService } from '../../src/campaigns/segment-service';
import { crmBestChannels, crmFindings, crmTiers, pollAnswers, polls, segments, subscribers, subscriptions, usageEvents } from '../../src/db/schema';
import { DAY, ManualClock } from '../../src/lib/clock';
import { AppError } from '../../src/lib/errors';
import type { ProfileFieldSpec } from '../../src/config/profile';
import { eachBackend } from '../helpers/backends';

// Every segment filter operator on both engines, over a planted population whose answer is known: the
// count and the numbers matched must be the ones listed here, on SQLite and on PostgreSQL alike. Then
// the segment writes (create, edit, delete) in units of work, and a delete refused while a campaign
// still needs the segment, changing nothing.
const NOW = Date.parse('2026-11-20T09:00:00Z');
const msisdn = (id: number) => `+2547330000${String(id).padStart(2, '0')}`;

const FIELDS: Record<string, ProfileFieldSpec['type']> = { county: 'string', crops: 'list', farmSize: 'number', plantedOn: 'date', birthYear: 'integer', tag: 'enum' };
const schema = { field: (n: string) => (FIELDS[n] ? ({ name: n, type: FIELDS[n] } as ProfileFieldSpec & { name: string }) : undefined) };

type Person = { id: number; region?: string; crop?: string; language?: string; operator?: string; profile?: Record<string, string | number | string[]>; seenDaysAgo: number | null; optedOut?: boolean };
const people: Person[] = [
  { id: 1, region: 'Nakuru', crop: 'maize', language: 'sw', operator: 'safaricom', profile: { county: 'Nakuru East', crops: ['Maize', 'Beans'], farmSize: 2, plantedOn: '2026-03-01', birthYear: 1990, tag: 'Gold' }, seenDaysAgo: 1 },
  { id: 2, region: 'nakuru', crop: 'Maize', language: 'en', operator: 'airtel', profile: { crops: ['beans'], farmSize: 8, plantedOn: '2026-05-10', birthYear: 2000, tag: 'silver' }, seenDaysAgo: 10 },
  // A list field stored as one text counts as a list of one; a birth year that is not a whole number gives no age.
  { id: 3, region: 'Kisumu', crop: 'beans', language: 'sw', operator: 'safaricom', profile: { crops: 'maize', farmSize: 5, birthYear: 1950.5, tag: 'gold' }, seenDaysAgo: 40 },
  // Imported, never heard from; a birth year stored as text gives no age either.
  { id: 4, region: 'Kisumu', crop: 'cassava', language: 'en', profile: { birthYear: '1980' }, seenDaysAgo: null },
  { id: 5, language: 'sw', seenDaysAgo: 0, optedOut: true },
  { id: 6, region: 'Eldoret', crop: 'maize', language: 'sw', operator: 'telkom', profile: { crops: [], farmSize: 12.5, plantedOn: '2026-06-30', birthYear: 1970 }, seenDaysAgo: 90 },
];

/** Each filter and the subscriber ids it must match (opted-out subscriber 5 only when included). */
const CASES: Array<[string, SegmentFilter, number[]]> = [
  ['everyone who can be reached', {}, [1, 2, 3, 4, 6]],
  ['opted out included', { includeOptedOut: true }, [1, 2, 3, 4, 5, 6]],
  ['region, case-insensitive', { region: 'NAKURU' }, [1, 2]],
  ['crop, any of a list', { crop: ['cassava', 'BEANS'] }, [3, 4]],
  ['language', { language: 'sw' }, [1, 3, 6]],
  ['language, opted out included', { language: 'sw', includeOptedOut: true }, [1, 3, 5, 6]],
  ['operator', { operator: 'Safaricom' }, [1, 3]],
  ['two keys: both must hold', { region: 'nakuru', crop: 'maize', language: 'en' }, [2]],
  ['profile string field', { profile: { county: 'nakuru east' } }, [1]],
  ['profile enum field, any of', { profile: { tag: ['GOLD', 'bronze'] } }, [1, 3]],
  ['profile list field contains', { profile: { crops: 'MAIZE' } }, [1, 3]],
  ['profile list field contains any of', { profile: { crops: ['beans', 'sorghum'] } }, [1, 2]],
  ['profile column field through profile', { profile: { region: 'kisumu' } }, [3, 4]],
  ['number range, min', { profile: { farmSize: { min: 5 } } }, [2, 3, 6]],
  ['number range, min and max', { profile: { farmSize: { min: 3, max: 10 } } }, [2, 3]],
  ['number range, max', { profile: { farmSize: { max: 2 } } }, [1]],
  ['date range, from', { profile: { plantedOn: { from: '2026-04-01' } } }, [2, 6]],
  ['date range, both ends included', { profile: { plantedOn: { from: '2026-03-01', to: '2026-05-10' } } }, [1, 2]],
  ['age at least', { ageMin: 30 }, [1, 6]],
  ['age at most', { ageMax: 30 }, [2]],
  ['age between', { ageMin: 40, ageMax: 60 }, [6]],
  ['subscription state', { subscriptionState: 'active' }, [1, 6]],
  ['subscription states of one service', { subscriptionState: ['active', 'grace'], service: 'crop-daily' }, [1, 2]],
  ['no live subscription', { subscriptionState: 'none' }, [3, 4]],
  ['no live subscription to one service', { subscriptionState: 'none', service: 'weather' }, [1, 2, 3, 4]],
  ['a live subscription to one service', { service: 'weather' }, [6]],
  ['seen within days', { lastSeenWithinDays: 7 }, [1]],
  ['seen within days, opted out included', { lastSeenWithinDays: 7, includeOptedOut: true }, [1, 5]],
  ['not seen for days', { notSeenForDays: 30 }, [3, 6]],
  ['never seen', { neverSeen: true }, [4]],
  ['seen at some time', { neverSeen: false }, [1, 2, 3, 6]],
  ['content reached', { content: { reached: true } }, [1, 3]],
  ['content node reached', { content: { reached: true, nodeId: 'maize-planting' } }, [1]],
  ['content flow reached', { content: { reached: true, flowId: 'market-prices' } }, []],
  ['content reached within days', { content: { reached: true, withinDays: 7 } }, [1]],
  ['content not reached', { content: { reached: false } }, [2, 4, 6]],
  ['open CRM flag', { crmFlags: 'stuck' }, [4]],
  ['closed CRM flag is no flag', { crmFlags: 'lapsing' }, []],
  ['CRM flags, any of', { crmFlags: ['lapsing', 'stuck'] }, [4]],
  ['tier', { tier: 'core' }, [1]],
  ['tiers, any of', { tier: ['core', 'growth'] }, [1, 2]],
  ['best channel', { bestChannel: 'sms' }, [1]],
  ['best channel unknown: no verdict or no row', { bestChannel: 'unknown' }, [3, 4, 6]],
  ['best channels, any of', { bestChannel: ['call', 'unknown'] }, [2, 3, 4, 6]],
  ['answered a poll', { poll: { pollId: 'p1' } }, [1, 2]],
  ['answered a poll with one of these answers', { poll: { pollId: 'p1', answers: [1, 2] } }, [2]],
  ['did not answer a poll', { poll: { pollId: 'p1', answered: false } }, [3, 4, 6]],
  ['many keys at once', { language: 'sw', subscriptionState: 'active', content: { reached: true }, profile: { farmSize: { max: 3 } }, ageMin: 18 }, [1]],
];

eachBackend((get) => {
  let repo: SegmentRepo;
  const where = (f: SegmentFilter) => compileFilter(f, NOW, { subscriptions: true, crmFlags: true }, { dialect: get().dialect, schema });

  beforeAll(async () => {
    const b = get();
    repo = new SegmentRepo(b.database);
    await b.plant(
      subscribers,
      people.map((p) => ({
        id: p.id,
        msisdn: msisdn(p.id),
        region: p.region ?? null,
        crop: p.crop ?? null,
        language: p.language ?? null,
        operator: p.operator ?? null,
        profile: p.profile ?? {},
        optedOut: p.optedOut ?? false,
        firstSeenAt: 0,
        lastSeenAt: p.seenDaysAgo === null ? null : NOW - p.seenDaysAgo * DAY,
        updatedAt: 0,
      })),
    );
    const sub = (id: string, subscriberId: number, serviceId: string, state: 'active' | 'grace' | 'cancelled') => ({ id, subscriberId, serviceId, state, currency: 'KES', evaluatedAt: 0, createdAt: 0, updatedAt: 0 });
    await b.plant(subscriptions, [sub('s1', 1, 'crop-daily', 'active'), sub('s2', 2, 'crop-daily', 'grace'), sub('s3', 3, 'crop-daily', 'cancelled'), sub('s6', 6, 'weather', 'active')]);
    await b.plant(usageEvents, [
      { at: NOW - 3 * DAY, subscriberId: 1, channel: 'ussd', type: 'content', flowId: 'crop-advice', nodeId: 'maize-planting' },
      { at: NOW - 20 * DAY, subscriberId: 3, channel: 'ussd', type: 'content', flowId: 'crop-advice', nodeId: 'beans-planting' },
      { at: NOW - 1 * DAY, subscriberId: 2, channel: 'ussd', type: 'menu', flowId: 'market-prices', nodeId: 'root' },
    ]);
    const finding = (id: string, subscriberId: number, kind: string, closedAt: number | null) => ({ id, subscriberId, kind, dedupeKey: id, status: 'open', reason: 'r', detail: {}, detectedAt: 0, notBefore: 0, expiresAt: 0, closedAt });
    await b.plant(crmFindings, [finding('f4', 4, 'stuck', null), finding('f2', 2, 'lapsing', NOW - DAY)]);
    const tier = (subscriberId: number, t: string) => ({ subscriberId, tier: t, residualValue: 0, tenureDays: 0, since: 0, firstTieredAt: 0, computedAt: 0 });
    await b.plant(crmTiers, [tier(1, 'core'), tier(2, 'growth')]);
    await b.plant(crmBestChannels, [
      { subscriberId: 1, channel: 'sms', updatedAt: 0 },
      { subscriberId: 2, channel: 'call', updatedAt: 0 },
      { subscriberId: 3, channel: 'unknown', updatedAt: 0 },
    ]);
    await b.plant(polls, [{ id: 'p1', key: 'p1', type: 'choice', question: { en: 'Useful?' }, answers: [{ en: 'Yes' }, { en: 'No' }, { en: 'Maybe' }], keywords: [], status: 'open', createdAt: 0, updatedAt: 0 }]);
    await b.plant(pollAnswers, [
      { pollId: 'p1', subscriberId: 1, answer: 0, channel: 'sms', at: NOW },
      { pollId: 'p1', subscriberId: 2, answer: 1, channel: 'ussd', at: NOW },
    ]);
  });

  describe('every filter operator counts and samples the planted answer', () => {
    for (const [what, filter, ids] of CASES) {
      it(what, async () => {
        expect(await repo.count(where(filter))).toBe(ids.length);
        expect(await repo.sample(where(filter), 100)).toEqual(ids.map(msisdn));
      });
    }
  });

  it('samples the first matching numbers by subscriber id', async () => {
    expect(await repo.sample(where({ includeOptedOut: true }), 2)).toEqual([msisdn(1), msisdn(2)]);
  });

  it('refuses a filter compiled for the other engine', async () => {
    const other = get().dialect === 'sqlite' ? 'postgresql' : 'sqlite';
    const wrong = compileFilter({ region: 'Nakuru' }, NOW, { subscriptions: true, crmFlags: true }, { dialect: other, schema });
    await expect(repo.count(wrong)).rejects.toThrow(/compiled for/);
  });

  describe('segment writes in units of work', () => {
    let service: SegmentService;
    const inUse = new Map<string, string[]>();
    // The stored row as another reader sees it, outside the repository.
    const stored = async (id: string) => (await get().database.get<{ name: string }>(sql`SELECT ${segments.name} AS "name" FROM ${segments} WHERE ${segments.id} = ${id}`)) ?? null;

    beforeAll(async () => {
      const b = get();
      service = new SegmentService({
        repo,
        units: b.units,
        clock: new ManualClock(NOW),
        tables: () => ({ subscriptions: true, crmFlags: true }),
        pollExists: async (id) => id === 'p1',
        serviceIds: () => ['crop-daily', 'weather'],
        usedBy: async (id) => inUse.get(id) ?? [],
        profile: { ...schema, names: () => Object.keys(FIELDS), allowed: () => 'any' },
      });
      await b.clear(segments);
    });

    it('create, edit and delete write the row, the filter kept as JSON', async () => {
      const s = await service.create('Nakuru maize', { region: 'Nakuru', crop: ['maize'], profile: { farmSize: { min: 2 } } });
      expect(await repo.find(s.id)).toEqual({ id: s.id, name: 'Nakuru maize', filter: { region: 'Nakuru', crop: ['maize'], profile: { farmSize: { min: 2 } } }, createdAt: NOW, updatedAt: NOW });
      expect(await service.count(s.filter)).toBe(2);
      const edited = await service.update(s.id, { name: 'Nakuru', filter: { region: 'nakuru' } });
      expect(edited.filter).toEqual({ region: 'nakuru' });
      expect(await repo.find(s.id)).toMatchObject({ name: 'Nakuru', filter: { region: 'nakuru' } });
      expect((await service.list()).map((x) => x.id)).toEqual([s.id]);
      await service.remove(s.id);
      expect(await repo.find(s.id)).toBeNull();
      expect(await stored(s.id)).toBeNull();
    });

    it('a delete refused while a campaign needs the segment changes nothing', async () => {
      const s = await service.create('Kept', { language: 'sw' });
      inUse.set(s.id, ['cmp_1']);
      const err = await service.remove(s.id).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).status).toBe(409);
      expect(await repo.find(s.id)).toMatchObject({ name: 'Kept' });
    });

    it('edits and deletes of a missing segment are 404 and write nothing', async () => {
      const before = await service.list();
      await expect(service.update('seg_nope', { name: 'x' })).rejects.toMatchObject({ status: 404 });
      await expect(service.remove('seg_nope')).rejects.toMatchObject({ status: 404 });
      expect(await service.list()).toEqual(before);
    });

    it('a unit that fails after its insert leaves no segment', async () => {
      const b = get();
      const row = { id: 'seg_rolled', name: 'Rolled back', filter: { region: 'x' }, createdAt: NOW, updatedAt: NOW };
      await expect(
        b.units.unit(async (tx) => {
          await repo.insert(row, tx);
          expect(await repo.find(row.id, tx)).toMatchObject({ name: 'Rolled back' });
          throw new Error('later step failed');
        }),
      ).rejects.toThrow('later step failed');
      expect(await repo.find(row.id)).toBeNull();
    });
  });
});

