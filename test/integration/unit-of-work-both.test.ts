import { sql } from 'drizzle-orm';
import { beforeEach, expect, it } from 'vitest';
import { subscribers } from '../../src/db/schema';
import type { GroupCommit } from '../../src/db/group-commit';
import type { Tx } from '../../src/db/database';
import { eachBackend, type Backend } from '../helpers/backends';

// Units of work on both engines: all or nothing, durable when they resolve, no lost update under
// concurrency; on SQLite, the group commit waits for a unit that awaits something else
// (test/integration/group-commit-mixed.test.ts has units beside synchronous writers).
const s = subscribers;
const row = (id: number) => ({ id, msisdn: `2547000000${String(id).padStart(2, '0')}`, firstSeenAt: 1_780_000_000_000, updatedAt: 0 });

eachBackend((get) => {
  const insert = (b: Backend) =>
    b.database.statement<never, { id: number; msisdn: string }>(
      sql`INSERT INTO ${s} (${sql.identifier(s.id.name)}, ${sql.identifier(s.msisdn.name)}, ${sql.identifier(s.firstSeenAt.name)}, ${sql.identifier(s.updatedAt.name)})
          VALUES (${sql.placeholder('id')}, ${sql.placeholder('msisdn')}, 0, 0)`,
    );
  const ids = async (b: Backend) => (await b.database.all<{ id: number }>(sql`SELECT ${s.id} AS "id" FROM ${s} ORDER BY ${s.id}`)).map((r) => r.id);

  beforeEach(async () => {
    await get().clear(s);
  });

  it('makes a unit durable before it resolves: another connection sees its writes', async () => {
    const b = get();
    const ins = insert(b);
    await b.units.unit(async (tx) => {
      await ins.run({ id: 1, msisdn: '254700000001' }, tx);
      await ins.run({ id: 2, msisdn: '254700000002' }, tx);
    });
    const other = await b.reopen();
    try {
      expect((await other.database.get<{ n: number }>(sql`SELECT count(*) AS "n" FROM ${s}`))!.n).toBe(2);
    } finally {
      await other.close();
    }
  });

  it('keeps none of a failing unit, rejects with its error, and commits the units beside it', async () => {
    const b = get();
    const ins = insert(b);
    const unit = (id: number, fail: boolean) =>
      b.units.unit(async (tx: Tx) => {
        await ins.run({ id, msisdn: row(id).msisdn }, tx);
        await ins.run({ id: id + 100, msisdn: row(id + 1).msisdn }, tx);
        if (fail) throw new Error(`unit ${id} refused`);
        return id;
      });
    const results = await Promise.allSettled([unit(10, false), unit(20, true), unit(30, false)]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([10, 'unit 20 refused', 30]);
    expect(await ids(b)).toEqual([10, 30, 110, 130]);
  });

  it('loses no update when units change one row at the same time', async () => {
    const b = get();
    await b.plant(s, [row(1)]);
    const bump = b.database.statement<never>(sql`UPDATE ${s} SET ${sql.identifier(s.updatedAt.name)} = ${s.updatedAt} + 1 WHERE ${s.id} = 1`);
    await Promise.all(Array.from({ length: 25 }, () => b.units.unit((tx) => bump.run(undefined, tx))));
    expect((await b.database.get<{ v: number }>(sql`SELECT ${s.updatedAt} AS "v" FROM ${s} WHERE ${s.id} = 1`))!.v).toBe(25);
  });

  it('sees its own writes inside the unit before they commit', async () => {
    const b = get();
    const ins = insert(b);
    const count = b.database.statement<{ n: number }>(sql`SELECT count(*) AS "n" FROM ${s}`);
    const seen = await b.units.unit(async (tx) => {
      await ins.run({ id: 5, msisdn: '254700000005' }, tx);
      return (await count.get(undefined, tx))!.n;
    });
    expect(seen).toBe(1);
  });

  it('on SQLite, holds the group commit while a unit waits for something else, and commits both after', async (ctx) => {
    const b = get();
    if (b.dialect !== 'sqlite') ctx.skip();
    const commits = b.units as GroupCommit;
    const ins = insert(b);
    const slow = commits.unit(async (tx) => {
      await ins.run({ id: 7, msisdn: '254700000007' }, tx);
      await new Promise((r) => setTimeout(r, 30));
      await ins.run({ id: 8, msisdn: '254700000008' }, tx);
    });
    const quick = commits.unit(async (tx) => void (await ins.run({ id: 9, msisdn: '254700000009' }, tx)));
    await Promise.all([slow, quick]);
    const other = await b.reopen();
    try {
      expect((await other.database.all<{ id: number }>(sql`SELECT id AS "id" FROM ${s} ORDER BY id`)).map((r) => r.id)).toEqual([7, 8, 9]);
    } finally {
      await other.close();
    }
  });
});
