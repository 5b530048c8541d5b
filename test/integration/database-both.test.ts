import { sql } from 'drizzle-orm';
import { beforeEach, expect, it } from 'vitest';
import { crmNodeDaily, subscribers } from '../../src/db/schema';
import { bool, json, jsonArrayIds, jsonText } from '../../src/db/portable';
import { eachBackend } from '../helpers/backends';

// The data layer's promises on both engines: what a store written once may rely on.
eachBackend((get) => {
  beforeEach(async () => {
    await get().clear(crmNodeDaily, subscribers);
    await get().plant(subscribers, [
      { id: 1, msisdn: '254700000001', language: 'en', profile: { region: 'Nakuru', crop: 'maize' }, firstSeenAt: 1_780_000_000_000, updatedAt: 1_780_000_000_000 },
      { id: 2, msisdn: '254700000002', language: 'sw', profile: { region: 'Kisumu' }, firstSeenAt: 1_780_000_000_001, updatedAt: 1_780_000_000_001 },
      { id: 3, msisdn: '254700000003', language: 'sw', profile: {}, firstSeenAt: 1_780_000_000_002, updatedAt: 1_780_000_000_002 },
    ]);
  });

  it('returns counts and sums as numbers, under quoted aliases that keep their case', async () => {
    const db = get().database;
    const row = await db.get<{ subscriberCount: number; idSum: number; latestAt: number }>(
      sql`SELECT count(*) AS "subscriberCount", sum(${subscribers.id}) AS "idSum", max(${subscribers.firstSeenAt}) AS "latestAt" FROM ${subscribers}`,
    );
    expect(row).toEqual({ subscriberCount: 3, idSum: 6, latestAt: 1_780_000_000_002 });
  });

  it('binds named placeholders in prepared statements, reused across calls', async () => {
    const st = get().database.statement<{ msisdn: string }, { language: string }>(
      sql`SELECT ${subscribers.msisdn} AS "msisdn" FROM ${subscribers} WHERE ${subscribers.language} = ${sql.placeholder('language')} ORDER BY ${subscribers.id}`,
    );
    expect(await st.all({ language: 'sw' })).toEqual([{ msisdn: '254700000002' }, { msisdn: '254700000003' }]);
    expect(await st.all({ language: 'en' })).toEqual([{ msisdn: '254700000001' }]);
    expect(await st.get({ language: 'fr' })).toBeUndefined();
  });

  it('reads a JSON field as text and decodes JSON and booleans from raw rows', async () => {
    const db = get().database;
    const region = jsonText(db.dialect, subscribers.profile, 'region');
    const rows = await db.all<{ id: number; region: string | null; profile: unknown }>(
      sql`SELECT ${subscribers.id} AS "id", ${region} AS "region", ${subscribers.profile} AS "profile" FROM ${subscribers} ORDER BY ${subscribers.id}`,
    );
    expect(rows.map((r) => [r.id, r.region, json(r.profile)])).toEqual([
      [1, 'Nakuru', { region: 'Nakuru', crop: 'maize' }],
      [2, 'Kisumu', { region: 'Kisumu' }],
      [3, null, {}],
    ]);
    const t = await db.get<{ yes: unknown; no: unknown }>(sql`SELECT (1 = 1) AS "yes", (1 = 2) AS "no"`);
    expect([bool(t!.yes), bool(t!.no)]).toEqual([true, false]);
  });

  it('matches ids against one JSON array parameter', async () => {
    const db = get().database;
    const st = db.statement<{ id: number }, { ids: string }>(
      sql`SELECT ${subscribers.id} AS "id" FROM ${subscribers} WHERE ${subscribers.id} IN ${jsonArrayIds(db.dialect, sql.placeholder('ids'))} ORDER BY ${subscribers.id}`,
    );
    expect(await st.all({ ids: JSON.stringify([3, 1, 99]) })).toEqual([{ id: 1 }, { id: 3 }]);
    expect(await st.all({ ids: '[]' })).toEqual([]);
  });

  it('counts with FILTER on both, and returns rows as arrays in raw mode', async () => {
    const db = get().database;
    const st = db.statement<[number, number]>(
      sql`SELECT count(*) FILTER (WHERE ${subscribers.language} = 'sw'), count(*) FROM ${subscribers}`,
      { raw: true },
    );
    expect(await st.all()).toEqual([[2, 3]]);
  });

  it('reports the rows a write changed', async () => {
    const db = get().database;
    const st = db.statement<never, { language: string }>(sql`UPDATE ${subscribers} SET ${sql.identifier(subscribers.language.name)} = 'en' WHERE ${subscribers.language} = ${sql.placeholder('language')}`);
    expect(await get().units.unit((tx) => st.run({ language: 'sw' }, tx))).toBe(2);
    expect(await get().units.unit((tx) => st.run({ language: 'sw' }, tx))).toBe(0);
  });
});
