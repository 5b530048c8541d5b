import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { getTableColumns, is, SQL, type Column } from 'drizzle-orm';
import { PgDialect, getTableConfig as pgTableConfig, type PgTable } from 'drizzle-orm/pg-core';
import { getTableConfig as sqliteTableConfig, integer, SQLiteSyncDialect, SQLiteTable, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as sqlite from '../../src/db/schema';
import { derivePgSchema, derivePgTable, pgIdentifier } from '../../src/db/postgres/derive';
import { PG_MIGRATIONS_DIR } from '../../src/db/postgres/migrate';
import * as pgModule from '../../src/db/postgres/schema';
import { pgSchema } from '../../src/db/postgres/schema';

const sqliteTables = (Object.entries(sqlite) as [string, unknown][]).filter((e): e is [string, SQLiteTable] => is(e[1], SQLiteTable));

/** The PostgreSQL type each SQLite column must become (the rule docs/postgresql.md states). */
function expectedPgType(c: Column): string {
  switch (c.columnType) {
    case 'SQLiteBoolean':
      return 'boolean';
    case 'SQLiteInteger':
      return 'bigint';
    case 'SQLiteTextJson':
      return 'jsonb';
    case 'SQLiteText':
      return 'text';
    case 'SQLiteReal':
      return 'double precision';
    case 'SQLiteBlobBuffer':
      return 'bytea';
    default:
      return `(no rule for ${c.columnType})`;
  }
}

const PG_ONLY_INDEXES = ['subscribers_msisdn_reversed_idx'];
const whereText = (s: SQL | undefined, dialect: SQLiteSyncDialect | PgDialect) => (s ? dialect.sqlToQuery(s).sql : null);

describe('PostgreSQL schema derived from the SQLite schema', () => {
  it('has a PostgreSQL table for every SQLite table, exported for drizzle-kit', () => {
    expect(Object.keys(pgSchema).sort()).toEqual(sqliteTables.map(([k]) => k).sort());
    for (const [key] of sqliteTables) expect(pgModule[key as keyof typeof pgModule], key).toBe(pgSchema[key as keyof typeof pgSchema]);
  });

  it.each(sqliteTables)('%s: same columns, types by the mapping rule, keys, defaults, indexes and references', (key, st) => {
    const pt = pgSchema[key as keyof typeof pgSchema] as unknown as PgTable;
    const s = sqliteTableConfig(st);
    const p = pgTableConfig(pt);
    expect(p.name).toBe(s.name);
    expect(p.columns.map((c) => c.name)).toEqual(s.columns.map((c) => c.name));
    const sCols = getTableColumns(st);
    const pCols = getTableColumns(pt);
    expect(Object.keys(pCols)).toEqual(Object.keys(sCols));
    for (const [k, sc] of Object.entries(sCols)) {
      const pc = pCols[k]!;
      const at = `${s.name}.${sc.name}`;
      expect(pc.getSQLType(), at).toBe(expectedPgType(sc));
      expect(pc.notNull, at).toBe(sc.notNull);
      expect(pc.primary, at).toBe(sc.primary);
      const autoIncrement = (sc as Column & { autoIncrement?: boolean }).autoIncrement === true;
      // SQLite gives an INTEGER PRIMARY KEY without AUTOINCREMENT the next rowid when none is written;
      // PostgreSQL has no such default, and none is needed: those keys are subscriber ids, always written.
      const rowidAlias = sc.primary && sc.columnType === 'SQLiteInteger' && !autoIncrement;
      expect(pc.hasDefault, at).toBe(rowidAlias ? false : sc.hasDefault);
      expect(pc.default, at).toEqual(sc.default);
      expect(pc.generatedIdentity?.type, at).toBe(autoIncrement ? 'byDefault' : undefined);
    }
    expect(p.primaryKeys.map((k) => k.columns.map((c) => c.name))).toEqual(s.primaryKeys.map((k) => k.columns.map((c) => c.name)));
    const sqliteDialect = new SQLiteSyncDialect();
    const pgDialect = new PgDialect();
    const indexOf = (name: string, unique: boolean, columns: unknown[], where: string | null) => ({
      name,
      unique,
      columns: columns.map((c) => (c as Column).name),
      where,
    });
    // PostgreSQL-only indexes (expressions SQLite has no function for) are checked in their own test below.
    const derived = p.indexes.filter((i) => !PG_ONLY_INDEXES.includes(i.config.name!));
    expect(derived.map((i) => indexOf(i.config.name!, i.config.unique, i.config.columns, whereText(i.config.where, pgDialect)))).toEqual(
      s.indexes.map((i) => indexOf(i.config.name, i.config.unique, i.config.columns, whereText(i.config.where, sqliteDialect))),
    );
    const fkOf = (r: { columns: Column[]; foreignColumns: Column[] }, foreignTable: string) => ({
      columns: r.columns.map((c) => c.name),
      foreignTable,
      foreignColumns: r.foreignColumns.map((c) => c.name),
    });
    expect(p.foreignKeys.map((f) => fkOf(f.reference(), pgTableConfig(f.reference().foreignTable).name))).toEqual(
      s.foreignKeys.map((f) => fkOf(f.reference(), sqliteTableConfig(f.reference().foreignTable).name)),
    );
  });

  it('adds only the PostgreSQL-only indexes it names, on expressions', () => {
    const extra = sqliteTables.flatMap(([key, st]) => {
      const names = new Set(sqliteTableConfig(st).indexes.map((i) => i.config.name));
      return pgTableConfig(pgSchema[key as keyof typeof pgSchema]).indexes.filter((i) => !names.has(i.config.name!)).map((i) => ({ table: key, name: i.config.name, expression: whereText(i.config.columns[0] as SQL, new PgDialect()) }));
    });
    expect(extra).toEqual([{ table: 'subscribers', name: 'subscribers_msisdn_reversed_idx', expression: '(reverse("subscribers"."msisdn") COLLATE "C")' }]);
  });

  it('gives PostgreSQL rows the same TypeScript types as SQLite rows', () => {
    expectTypeOf<typeof pgSchema.subscribers.$inferSelect>().toEqualTypeOf<typeof sqlite.subscribers.$inferSelect>();
    expectTypeOf<typeof pgSchema.crmNodeDaily.$inferInsert>().toEqualTypeOf<typeof sqlite.crmNodeDaily.$inferInsert>();
    expectTypeOf<typeof pgSchema.concatParts.$inferSelect>().toEqualTypeOf<typeof sqlite.concatParts.$inferSelect>();
    expectTypeOf<typeof pgSchema.usageEvents.$inferInsert>().toEqualTypeOf<typeof sqlite.usageEvents.$inferInsert>();
  });

  it('adds a column added to a SQLite table to its PostgreSQL table and to the next PostgreSQL migration', async () => {
    const { generateDrizzleJson, generateMigration } = await import('drizzle-kit/api');
    const owners = sqliteTable('owners', { id: integer('id').primaryKey({ autoIncrement: true }) });
    const before = sqliteTable('pets', { id: text('id').primaryKey(), ownerId: integer('owner_id').notNull().references(() => owners.id) });
    const after = sqliteTable('pets', {
      id: text('id').primaryKey(),
      ownerId: integer('owner_id').notNull().references(() => owners.id),
      vaccinated: integer('vaccinated', { mode: 'boolean' }).notNull().default(false),
      tags: text('tags', { mode: 'json' }).$type<string[]>().notNull().default([]),
    });
    const v1 = derivePgSchema({ owners, pets: before });
    const v2 = derivePgSchema({ owners, pets: after });
    expect(Object.keys(getTableColumns(v2.pets))).toEqual(['id', 'ownerId', 'vaccinated', 'tags']);
    const j1 = generateDrizzleJson(v1);
    const j2 = generateDrizzleJson(v2, j1.id);
    const statements = await generateMigration(j1, j2);
    expect(statements).toEqual([
      'ALTER TABLE "pets" ADD COLUMN "vaccinated" boolean DEFAULT false NOT NULL;',
      `ALTER TABLE "pets" ADD COLUMN "tags" jsonb DEFAULT '[]'::jsonb NOT NULL;`,
    ]);
  });

  it('refuses a SQLite column it has no rule for, naming it', () => {
    const t = sqliteTable('stamps', { id: integer('id').primaryKey(), at: integer('at', { mode: 'timestamp' }).notNull() });
    expect(() => derivePgTable(t, () => undefined)).toThrow(/cannot derive PostgreSQL column stamps\.at: SQLite column type SQLiteTimestamp/);
  });

  it('keeps generated names within PostgreSQL identifier length, stably', () => {
    const long = 'crm_discovery_profile_daily_subscriber_id_subscribers_id_fk_and_more_text';
    expect(pgIdentifier('short_name')).toBe('short_name');
    expect(pgIdentifier(long)).toHaveLength(63);
    expect(pgIdentifier(long)).toBe(pgIdentifier(long));
    expect(pgIdentifier(long)).not.toBe(pgIdentifier(`${long}x`));
  });

  it('has migrations/pg up to date with the derived schema (else run npm run db:generate)', async () => {
    const { generateDrizzleJson, generateMigration } = await import('drizzle-kit/api');
    const snapshots = readdirSync(path.join(PG_MIGRATIONS_DIR, 'meta')).filter((f) => f.endsWith('_snapshot.json')).sort();
    const last = JSON.parse(readFileSync(path.join(PG_MIGRATIONS_DIR, 'meta', snapshots.at(-1)!), 'utf8'));
    const current = generateDrizzleJson(pgSchema, last.id);
    expect(await generateMigration(last, current)).toEqual([]);
  });
});
