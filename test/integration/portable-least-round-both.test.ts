import { sql } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { least, roundHalfAway } from '../../src/db/portable';
import { calls, subscribers } from '../../src/db/schema';
import { eachBackend } from '../helpers/backends';

// least(): the smaller of two values per row; roundHalfAway(): SQLite's round() on both engines.
eachBackend((get) => {
  beforeAll(async () => {
    await get().plant(subscribers, [
      { id: 1, msisdn: '254700000001', firstSeenAt: 5, updatedAt: 9 },
      { id: 2, msisdn: '254700000002', firstSeenAt: 8, updatedAt: 3 },
      { id: 3, msisdn: '254700000003', firstSeenAt: 4, updatedAt: 4 },
    ]);
  });

  it('takes the smaller of two columns, or of a column and a bound value', async () => {
    const db = get().database;
    const st = db.statement<{ id: number; low: number; capped: number }, { cap: number }>(
      sql`SELECT ${subscribers.id} AS "id", ${least(db.dialect, sql`${subscribers.firstSeenAt}`, subscribers.updatedAt)} AS "low",
            ${least(db.dialect, sql`${subscribers.updatedAt}`, sql`${sql.placeholder('cap')}`)} AS "capped" FROM ${subscribers} ORDER BY ${subscribers.id}`,
    );
    expect(await st.all({ cap: 4 })).toEqual([
      { id: 1, low: 5, capped: 4 },
      { id: 2, low: 3, capped: 3 },
      { id: 3, low: 4, capped: 4 },
    ]);
  });

  it('rounds halves away from zero, and what is just below a half down', async () => {
    const db = get().database;
    const amounts = [0.125, 0.005, 0.35, 0.145, -0.125, 0];
    await get().plant(
      calls,
      amounts.map((amount, k) => ({ id: `c${k}`, subscriberId: 1, msisdn: '254700000001', flowId: 'f', kind: 'promotional', source: 'crm', status: 'completed', amount, createdAt: 0, updatedAt: 0 })),
    );
    const rows = await db.all<{ id: string; r: number }>(sql`SELECT ${calls.id} AS "id", ${roundHalfAway(db.dialect, sql`${calls.amount} * 100`)} AS "r" FROM ${calls} ORDER BY ${calls.id}`);
    // 0.145 * 100 is 14.499999999999998 in binary floating point on both engines.
    expect(rows.map((r) => Number(r.r))).toEqual([13, 1, 35, 14, -13, 0]);
  });
});
