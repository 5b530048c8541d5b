import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { migrateDb, openDb } from '../../src/db/client';

// The reference check after migrating reads every referencing table (seconds on a large database), so
// it runs when a migration was applied, the only time rows were written with enforcement off.
describe('migrateDb reference check', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vasgw-migrate-check-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('checks references when a migration applies, and skips the check when none does', () => {
    const file = path.join(dir, 'g.db');
    const db = openDb({ path: file });
    migrateDb(db);
    const c = db.$client;
    // A row pointing at a subscriber that does not exist, written the way only an unenforced migration could.
    c.pragma('foreign_keys = OFF');
    c.prepare('INSERT INTO crm_best_channels (subscriber_id, updated_at) VALUES (424242, 0)').run();
    c.pragma('foreign_keys = ON');

    // Nothing to apply: the gateway opens without reading every table.
    expect(() => migrateDb(db)).not.toThrow();

    // The newest migration forgotten, so it applies again: now the broken reference is reported.
    const last = c.prepare('SELECT max(created_at) AS at FROM __drizzle_migrations').get() as { at: number };
    c.prepare('DELETE FROM __drizzle_migrations WHERE created_at = ?').run(last.at);
    expect(() => migrateDb(db)).toThrow(/1 row\(s\) pointing at rows that do not exist \(crm_best_channels -> subscribers\)/);
    c.close();
  });
});
