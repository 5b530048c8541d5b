import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, migrateDb, openDb } from '../../src/db/client';

// The reference check after migrating reads every referencing table (seconds on a large database), so
// it runs when a migration was applied, the only time rows were written with enforcement off.
describe('migrateDb reference check', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vasgw-migrate-check-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('checks references when a migration applies, and skips the check when none does', () => {
    // The migrations as they were before the newest one: a gateway one release behind.
    const before = path.join(dir, 'migrations');
    cpSync(MIGRATIONS_DIR, before, { recursive: true });
    const journalFile = path.join(before, 'meta', '_journal.json');
    const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: unknown[] };
    journal.entries.pop();
    writeFileSync(journalFile, JSON.stringify(journal));

    const file = path.join(dir, 'g.db');
    const db = openDb({ path: file });
    migrateDb(db, before);
    const c = db.$client;
    // A row pointing at a subscriber that does not exist, written the way only an unenforced migration could.
    c.pragma('foreign_keys = OFF');
    c.prepare('INSERT INTO crm_best_channels (subscriber_id, updated_at) VALUES (424242, 0)').run();
    c.pragma('foreign_keys = ON');

    // Nothing to apply: the gateway opens without reading every table.
    expect(() => migrateDb(db, before)).not.toThrow();

    // The upgrade applies the newest migration: now the broken reference is reported.
    expect(() => migrateDb(db)).toThrow(/1 row\(s\) pointing at rows that do not exist \(crm_best_channels -> subscribers\)/);
    c.close();
  });
});
