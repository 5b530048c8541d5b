import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { BatchWriter } from '../../src/db/batch-writer';
import { subscribers } from '../../src/db/schema';
import { name } from '../../src/db/statement';
import { eachBackend } from '../helpers/backends';

// Multi-row inserts in a unit on both engines: full batches of 100 and the rest on flush, an ON CONFLICT
// tail honoured, and nothing left when the unit fails.
eachBackend((get) => {
  const s = subscribers;
  const head = sql`INSERT INTO ${s} (${name(s.id)}, ${name(s.msisdn)}, ${name(s.firstSeenAt)}, ${name(s.updatedAt)}) VALUES`;
  const count = async () => (await get().database.get<{ n: number }>(sql`SELECT count(*) AS "n" FROM ${s}`))!.n;

  it('writes 250 rows as two batches and a flush, skipping conflicts', async () => {
    const b = get();
    await b.clear(s);
    const w = new BatchWriter(b.database, head, 4, sql`ON CONFLICT (${name(s.msisdn)}) DO NOTHING`);
    await b.units.unit(async (tx) => {
      for (let i = 1; i <= 250; i++) await w.add([i, `+2547100${String(i).padStart(5, '0')}`, i, i], tx);
      // A number already queued comes again under another id: the tail skips it.
      await w.add([999, '+254710000001', 0, 0], tx);
      await w.flush(tx);
    });
    expect(await count()).toBe(250);
    expect(w.written).toBe(250);
    const last = await b.database.get<{ msisdn: string; at: number }>(sql`SELECT ${s.msisdn} AS "msisdn", ${s.firstSeenAt} AS "at" FROM ${s} WHERE ${s.id} = 250`);
    expect(last).toEqual({ msisdn: '+254710000250', at: 250 });
  });

  it('keeps nothing of a unit that fails', async () => {
    const b = get();
    await b.clear(s);
    const w = new BatchWriter(b.database, head, 4);
    await expect(
      b.units.unit(async (tx) => {
        for (let i = 1; i <= 150; i++) await w.add([i, `+2547200${String(i).padStart(5, '0')}`, i, i], tx);
        await w.flush(tx);
        throw new Error('planted');
      }),
    ).rejects.toThrow('planted');
    expect(await count()).toBe(0);
  });
});
