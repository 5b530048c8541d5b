import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDb, migrateDb, tx, type Db } from '../../src/db/client';
import { GroupCommit } from '../../src/db/group-commit';
import { sqliteDatabase } from '../../src/db/sqlite-database';
import { subscribers as s } from '../../src/db/schema';

// A synchronous writer on the same connection (the population generator's stores, which tests and
// benches run beside a serving gateway; tx(), a drizzle builder) can run between a unit's awaits and land
// inside the unit's savepoint. If that unit then fails, a
// rollback to the savepoint would silently take the other writer's rows; the group commit rolls the whole
// group back instead, so every writer in it is told, as when a COMMIT fails.
describe('the group commit with units and synchronous writers mixed', () => {
  let db: Db;
  let commits: GroupCommit;
  const insert = () =>
    sqliteDatabase(db).statement<never, { id: number }>(
      sql`INSERT INTO ${s} (id, msisdn, first_seen_at, updated_at) VALUES (${sql.placeholder('id')}, '2547000' || ${sql.placeholder('id')}, 0, 0)`,
    );
  const insertReturning = () =>
    sqliteDatabase(db).statement<{ id: number }, { id: number }>(
      sql`INSERT INTO ${s} (id, msisdn, first_seen_at, updated_at) VALUES (${sql.placeholder('id')}, '2547000' || ${sql.placeholder('id')}, 0, 0) RETURNING id`,
    );
  const bare = (id: number) => tx(db, () => db.$client.prepare(`INSERT INTO subscribers (id, msisdn, first_seen_at, updated_at) VALUES (${id}, '2547100${id}', 0, 0)`).run());
  const ids = () => (db.$client.prepare('SELECT id FROM subscribers ORDER BY id').pluck().all() as number[]);

  beforeEach(() => {
    db = openDb({ path: path.join(mkdtempSync(path.join(tmpdir(), 'vasgw-mixed-')), 'g.db') });
    migrateDb(db);
    commits = new GroupCommit(db);
  });
  afterEach(() => db.$client.close());

  it('fails the whole group, and tells the synchronous writer, when a unit fails with its write inside', async () => {
    const ins = insert();
    // A unit in the group before the failing one: rolled back with it, and told.
    const accepted = commits.unit(async (t) => void (await ins.run({ id: 1 }, t)));
    let answered: Promise<void> | undefined;
    const failing = commits.unit(async (t) => {
      await ins.run({ id: 2 }, t);
      bare(3); // another request's synchronous write, between this unit's awaits
      answered = commits.idle(); // that request's answer waits for the group, as every HTTP answer does
      await ins.run({ id: 4 }, t);
      throw new Error('refused');
    });
    await expect(failing).rejects.toThrow('refused');
    await expect(answered).rejects.toThrow(/rolled back with a failing unit of work \(refused\)/);
    await expect(accepted).rejects.toThrow(/rolled back/);
    expect(ids()).toEqual([]);
    // The connection is usable again: the next group commits.
    await commits.unit(async (t) => void (await ins.run({ id: 5 }, t)));
    expect(ids()).toEqual([5]);
  });

  it('rolls back only the failing unit when nothing else wrote inside it (RETURNING counts as its own writes)', async () => {
    const ins = insertReturning();
    const before = commits.unit(async (t) => void (await ins.get({ id: 1 }, t)));
    const failing = commits.unit(async (t) => {
      expect(await ins.get({ id: 2 }, t)).toEqual({ id: 2 });
      await ins.all({ id: 3 }, t);
      throw new Error('refused');
    });
    const after = commits.unit(async (t) => void (await ins.get({ id: 4 }, t)));
    await expect(failing).rejects.toThrow('refused');
    await Promise.all([before, after]);
    expect(ids()).toEqual([1, 4]);
  });

  it('counts a rollback listener call when the group is abandoned, so in-memory caches forget', async () => {
    let forgotten = 0;
    commits.onRollback(() => forgotten++);
    const failing = commits.unit(async () => {
      bare(1);
      await Promise.resolve();
      throw new Error('refused');
    });
    await expect(failing).rejects.toThrow('refused');
    expect(forgotten).toBe(1);
    expect(ids()).toEqual([]);
  });
});
