import { sql } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { least } from '../../src/db/portable';
import { subscribers } from '../../src/db/schema';
import { eachBackend } from '../helpers/backends';

// least(): the smaller of two values per row, on both engines (SQLite's two-argument min, PostgreSQL's least).
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
});
