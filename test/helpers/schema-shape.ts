import type { Database } from 'better-sqlite3';
import { is } from 'drizzle-orm';
import { getTableConfig as pgTableConfig } from 'drizzle-orm/pg-core';
import { SQLiteTable, getTableConfig as sqliteTableConfig } from 'drizzle-orm/sqlite-core';
import type pg from 'pg';
import { pgSchema } from '../../src/db/postgres/schema';
import * as sqliteSchema from '../../src/db/schema';

// What a database says about its own tables, read from its catalog (not from the drizzle schema), in one
// shape for both dialects, so a test can put SQLite's and PostgreSQL's side by side.

export interface ColumnShape {
  name: string;
  /** Declared type, lower case: SQLite's (integer, text, real, blob) or PostgreSQL's (bigint, jsonb, ...). */
  type: string;
  notNull: boolean;
  /** The default as the catalog prints it, casts stripped ('{}'::jsonb -> '{}'); null when none. */
  default: string | null;
  /** Ids the database assigns (SQLite AUTOINCREMENT, PostgreSQL identity). */
  generatedId: boolean;
}

export interface IndexShape {
  name: string;
  unique: boolean;
  columns: string[];
  partial: boolean;
}

export interface ForeignKeyShape {
  columns: string[];
  table: string;
  foreignColumns: string[];
}

export interface TableShape {
  /** By name: SQLite appends a column added by a later migration, so the order tells history, not schema. */
  columns: ColumnShape[];
  primaryKey: string[];
  /** Indexes created by name (not the ones backing a primary key). */
  indexes: IndexShape[];
  foreignKeys: ForeignKeyShape[];
}

const byName = <T extends { name: string }>(a: T, b: T) => a.name.localeCompare(b.name);
const fkKey = (f: ForeignKeyShape) => `${f.columns.join(',')}->${f.table}`;

/** Every table of a SQLite database except SQLite's and drizzle's own. */
export function sqliteShapes(db: Database): Map<string, TableShape> {
  const out = new Map<string, TableShape>();
  const tables = db.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_\\_drizzle%' ESCAPE '\\'`).all() as { name: string; sql: string }[];
  for (const t of tables) {
    const info = db.prepare(`PRAGMA table_info("${t.name}")`).all() as { name: string; type: string; notnull: number; dflt_value: string | null; pk: number }[];
    const columns = info
      .map((c) => ({
      name: c.name,
      type: c.type.toLowerCase(),
      notNull: c.notnull === 1 || c.pk > 0,
      default: c.dflt_value,
      generatedId: new RegExp(`[\`"]${c.name}[\`"] integer PRIMARY KEY AUTOINCREMENT`, 'i').test(t.sql),
      }))
      .sort(byName);
    const primaryKey = info.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
    const list = db.prepare(`PRAGMA index_list("${t.name}")`).all() as { name: string; unique: number; origin: string; partial: number }[];
    const indexes = list
      .filter((i) => i.origin === 'c')
      .map((i) => ({
        name: i.name,
        unique: i.unique === 1,
        columns: (db.prepare(`PRAGMA index_info("${i.name}")`).all() as { seqno: number; name: string }[]).sort((a, b) => a.seqno - b.seqno).map((c) => c.name),
        partial: i.partial === 1,
      }))
      .sort(byName);
    const fkRows = db.prepare(`PRAGMA foreign_key_list("${t.name}")`).all() as { id: number; seq: number; table: string; from: string; to: string }[];
    const fks = new Map<number, ForeignKeyShape>();
    for (const r of fkRows.sort((a, b) => a.id - b.id || a.seq - b.seq)) {
      const f = fks.get(r.id) ?? { columns: [], table: r.table, foreignColumns: [] };
      f.columns.push(r.from);
      f.foreignColumns.push(r.to);
      fks.set(r.id, f);
    }
    out.set(t.name, { columns, primaryKey, indexes, foreignKeys: [...fks.values()].sort((a, b) => fkKey(a).localeCompare(fkKey(b))) });
  }
  return out;
}

/** Every table in the public schema of a PostgreSQL database. */
export async function postgresShapes(client: pg.Client): Promise<Map<string, TableShape>> {
  const out = new Map<string, TableShape>();
  const tables = await client.query<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`);
  for (const { name } of tables.rows) {
    const cols = await client.query<{ name: string; type: string; nullable: string; def: string | null; identity: string }>(
      `SELECT column_name AS name, data_type AS type, is_nullable AS nullable, column_default AS def, is_identity AS identity
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
      [name],
    );
    const columns = cols.rows
      .map((c) => ({
      name: c.name,
      type: c.type.toLowerCase(),
      notNull: c.nullable === 'NO',
      default: c.def === null ? null : c.def.replace(/::[a-z ]+$/, ''),
      generatedId: c.identity === 'YES',
      }))
      .sort(byName);
    const ix = await client.query<{ name: string; unique: boolean; primary: boolean; columns: string[]; predicate: string | null }>(
      `SELECT c.relname AS name, i.indisunique AS unique, i.indisprimary AS primary,
              array(SELECT a.attname::text FROM unnest(i.indkey) WITH ORDINALITY k(attnum, n)
                      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.n) AS columns,
              pg_get_expr(i.indpred, i.indrelid) AS predicate
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid = ('public.' || quote_ident($1))::regclass`,
      [name],
    );
    const primaryKey = ix.rows.find((i) => i.primary)?.columns ?? [];
    const indexes = ix.rows
      .filter((i) => !i.primary)
      .map((i) => ({ name: i.name, unique: i.unique, columns: i.columns, partial: i.predicate !== null }))
      .sort(byName);
    const fk = await client.query<{ columns: string[]; table: string; foreign_columns: string[] }>(
      `SELECT array(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY x(attnum, n)
                      JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = x.attnum ORDER BY x.n) AS columns,
              f.relname AS table,
              array(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY x(attnum, n)
                      JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = x.attnum ORDER BY x.n) AS foreign_columns
         FROM pg_constraint k JOIN pg_class f ON f.oid = k.confrelid
        WHERE k.contype = 'f' AND k.conrelid = ('public.' || quote_ident($1))::regclass`,
      [name],
    );
    const foreignKeys = fk.rows.map((r) => ({ columns: r.columns, table: r.table, foreignColumns: r.foreign_columns })).sort((a, b) => fkKey(a).localeCompare(fkKey(b)));
    out.set(name, { columns, primaryKey, indexes, foreignKeys });
  }
  return out;
}

/**
 * The names of the indexes only PostgreSQL has (src/db/postgres/schema.ts: expressions SQLite has no
 * function for), by table, read from the two drizzle schemas.
 */
export function pgOnlyIndexes(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [key, value] of Object.entries(sqliteSchema)) {
    if (!is(value, SQLiteTable)) continue;
    const lite = new Set(sqliteTableConfig(value).indexes.map((i) => i.config.name));
    const pgTable = pgSchema[key as keyof typeof pgSchema];
    const extra = pgTableConfig(pgTable).indexes.map((i) => i.config.name!).filter((n) => !lite.has(n));
    if (extra.length > 0) out.set(sqliteTableConfig(value).name, extra);
  }
  return out;
}
