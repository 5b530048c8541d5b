// Copies a SQLite deployment's data into a fresh PostgreSQL database (`vasgw db copy`): every table of
// src/db/schema, parents before children, all or nothing.
//
// How: one PostgreSQL transaction holds the whole copy (an error anywhere rolls everything back), and one
// SQLite read transaction gives a consistent snapshot even while a gateway keeps writing (WAL). Rows are
// streamed from SQLite (an iterator, never a whole table in memory) and inserted a batch a statement as
// one array per column (`INSERT ... SELECT * FROM unnest($1::bigint[], ...)`): a statement has one bind
// parameter per column whatever the batch size, so PostgreSQL's 65,535-parameter limit never binds, and
// the statement is parsed once per table. The next batch is read while PostgreSQL inserts the previous.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { getTableColumns, getTableName, is, type Table } from 'drizzle-orm';
import { getTableConfig, SQLiteTable, type SQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { PgColumn } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { MIGRATIONS_DIR, schema, type Db } from '../client';
import { openReadOnlyDb } from '../handle';
import { describePostgresError, migratePostgres, PostgresUnavailableError } from './migrate';
import { pgSchema } from './schema';
import { parsePostgresUrl, type PostgresTarget } from './url';

/** Rows per INSERT statement: a few thousand keeps a statement well under a megabyte for usage events. */
export const DEFAULT_BATCH_ROWS = 5000;

/** How the rows of one table went. */
export interface CopiedTable {
  table: string;
  rows: number;
}

/** What one copy did. */
export interface CopyReport {
  /** Every table, in the order copied (parents before children). */
  tables: CopiedTable[];
  totalRows: number;
  /** Identity sequences moved past the copied ids: the next id each table hands out. */
  sequences: { table: string; column: string; nextId: number }[];
}

/** Options of a copy. */
export interface CopyOptions {
  /** Rows per INSERT statement (default DEFAULT_BATCH_ROWS). */
  batchRows?: number;
  /** Called after each table is copied (inside the transaction: not yet committed). */
  onTable?: (t: CopiedTable) => void;
  /**
   * Accept a target whose rows sit only in tables the source has none of (console accounts made before a
   * generated population is copied in): no table then holds rows from two databases. Without it, any row
   * in the target refuses the copy.
   */
  besideOtherTables?: boolean;
}

/** The read connection's page cache: the copy scans each table once, so a small one does. */
const SCAN_CACHE_KIB = 16 * 1024;

/**
 * Opens an existing SQLite file read-only as a copy's source (a connection of its own, out of any
 * gateway's way: WAL). Throws when the file is not a SQLite database, before anything is copied.
 */
export function openCopySource(file: string): Db {
  const db = openReadOnlyDb(file, SCAN_CACHE_KIB);
  try {
    db.$client.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (e) {
    db.$client.close();
    throw e;
  }
  return db;
}

/** The copy would overwrite or mix data, or the source is not this version's schema: nothing was written. */
export class CopyRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CopyRefusedError';
  }
}

/** The copy started and failed; the PostgreSQL transaction was rolled back, so nothing was written. */
export class CopyFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CopyFailedError';
  }
}

/** One column as the copy reads (SQLite) and writes (PostgreSQL) it. */
interface CopyColumn {
  name: string;
  /** The PostgreSQL type, for the array the batch is bound as. */
  pgType: string;
  kind: 'integer' | 'boolean' | 'other';
  identity: boolean;
}

/** One table of the plan. */
interface CopyTable {
  name: string;
  columns: CopyColumn[];
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * The schema's tables in an order their references allow (each after every table it references), from
 * `getTableConfig(t).foreignKeys`; ties keep the schema's own order. A cycle is refused by name.
 */
export function copyOrder(tables: readonly SQLiteTable[]): SQLiteTable[] {
  const byName = new Map(tables.map((t) => [getTableConfig(t).name, t]));
  const parents = new Map<string, string[]>();
  for (const [name, t] of byName) {
    const refs = getTableConfig(t).foreignKeys.map((fk) => getTableConfig(fk.reference().foreignTable).name);
    // A table referencing itself needs its rows in order, not the table; none does today.
    parents.set(name, [...new Set(refs)].filter((r) => r !== name && byName.has(r)));
  }
  const done = new Set<string>();
  const visiting = new Set<string>();
  const out: SQLiteTable[] = [];
  const visit = (name: string, trail: string[]) => {
    if (done.has(name)) return;
    if (visiting.has(name)) throw new Error(`the tables reference each other in a cycle (${[...trail, name].join(' -> ')}); the copy cannot order them`);
    visiting.add(name);
    for (const p of parents.get(name) ?? []) visit(p, [...trail, name]);
    visiting.delete(name);
    done.add(name);
    out.push(byName.get(name)!);
  };
  for (const name of byName.keys()) visit(name, []);
  return out;
}

/** The copy plan: every SQLite table of src/db/schema with its PostgreSQL twin's column types, in copy order. */
function copyPlan(): CopyTable[] {
  const twins = new Map<string, Record<string, PgColumn>>();
  for (const t of Object.values(pgSchema) as Table[]) twins.set(getTableName(t), getTableColumns(t) as Record<string, PgColumn>);
  const sqliteTables = (Object.values(schema) as unknown[]).filter((v): v is SQLiteTable => is(v, SQLiteTable));
  return copyOrder(sqliteTables).map((t) => {
    const name = getTableConfig(t).name;
    const twin = twins.get(name);
    if (!twin) throw new Error(`table ${name} has no PostgreSQL twin in src/db/postgres/schema.ts`);
    const columns = Object.entries(getTableColumns(t) as Record<string, SQLiteColumn>).map(([key, c]) => ({
      name: c.name,
      pgType: twin[key]!.getSQLType(),
      kind: c.columnType === 'SQLiteBoolean' ? ('boolean' as const) : c.columnType === 'SQLiteInteger' ? ('integer' as const) : ('other' as const),
      identity: (c as SQLiteColumn & { autoIncrement?: boolean }).autoIncrement === true,
    }));
    return { name, columns };
  });
}

/**
 * Refuses a SQLite database whose applied migrations are not exactly this version's: its columns would
 * not match the tables the copy writes. `vasgw migrate` on it first brings it up to date.
 */
function checkSourceSchema(db: Db): void {
  const journal = JSON.parse(readFileSync(path.join(MIGRATIONS_DIR, 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] };
  const c = db.$client;
  const hasTable = c.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'").get();
  const applied = hasTable ? (c.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get() as { n: number }).n : 0;
  const expected = journal.entries.length;
  if (applied === expected) return;
  if (applied === 0) throw new CopyRefusedError(`the SQLite database ${c.name} has no gateway tables (it was never migrated); nothing to copy`);
  if (applied < expected) {
    throw new CopyRefusedError(`the SQLite database ${c.name} is ${expected - applied} migration(s) behind this version; run vasgw migrate on it (DATABASE_PATH=${c.name}) first, then copy`);
  }
  throw new CopyRefusedError(`the SQLite database ${c.name} has ${applied - expected} migration(s) this version does not know (it was written by a newer gateway); copy it with that version`);
}

/** The highest id each AUTOINCREMENT table ever handed out (SQLite never reuses one, even after a delete). */
function sqliteSequences(db: Db): Map<string, number> {
  const c = db.$client;
  if (!c.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'").get()) return new Map();
  const rows = c.prepare('SELECT name, seq FROM sqlite_sequence').all() as { name: string; seq: number }[];
  return new Map(rows.map((r) => [r.name, Number(r.seq)]));
}

/** A SQLite value as the PostgreSQL array element of its column. */
function converter(col: CopyColumn): (v: unknown) => unknown {
  // Integers are read as BigInt (safeIntegers) so values past 2^53 are copied exactly, not rounded.
  if (col.kind === 'boolean') return (v) => (v === null ? null : v !== 0n && v !== 0);
  return (v) => v;
}

/** Copies one table's rows, a batch a statement; returns how many were inserted. */
async function copyTable(db: Db, client: pg.ClientBase, t: CopyTable, batchRows: number): Promise<number> {
  const names = t.columns.map((c) => quote(c.name)).join(', ');
  const arrays = t.columns.map((c, i) => `$${i + 1}::${c.pgType}[]`).join(', ');
  const text = `INSERT INTO ${quote(t.name)} (${names}) SELECT * FROM unnest(${arrays})`;
  const convert = t.columns.map(converter);
  const stmt = db.$client.prepare(`SELECT ${names} FROM ${quote(t.name)}`).raw(true).safeIntegers(true);
  let inserted = 0;
  let inflight: Promise<unknown> | null = null;
  const send = async (cols: unknown[][], n: number) => {
    await client.query({ name: `vasgw_copy_${t.name}`.slice(0, 63), text, values: cols });
    inserted += n;
  };
  let cols: unknown[][] = t.columns.map(() => []);
  let n = 0;
  try {
    for (const row of stmt.iterate() as IterableIterator<unknown[]>) {
      for (let j = 0; j < row.length; j++) cols[j]!.push(convert[j]!(row[j]));
      if (++n < batchRows) continue;
      if (inflight) await inflight;
      inflight = send(cols, n);
      inflight.catch(() => {}); // awaited below; this only keeps an early failure from being reported as unhandled
      cols = t.columns.map(() => []);
      n = 0;
    }
    if (inflight) await inflight;
    if (n > 0) await send(cols, n);
  } catch (e) {
    if (inflight) await inflight.catch(() => {});
    throw e;
  }
  return inserted;
}

/** A connected client for `target`: a URL (migrated first, with `vasgw migrate`'s rules) or a pool of the caller's. */
async function connect(target: string | pg.Pool): Promise<{ client: pg.ClientBase; shown: PostgresTarget | null; release: () => Promise<void> }> {
  if (typeof target !== 'string') {
    const client = await target.connect();
    return { client, shown: null, release: async () => client.release() };
  }
  const t = parsePostgresUrl(target);
  await migratePostgres(t);
  const client = new pg.Client({ connectionString: t.url, connectionTimeoutMillis: 10_000, application_name: 'vasgw db copy' });
  client.on('error', () => {}); // a dropped connection is reported by the failing query
  try {
    await client.connect();
  } catch (e) {
    throw new PostgresUnavailableError(describePostgresError(e, t));
  }
  return { client, shown: t, release: async () => void (await client.end().catch(() => {})) };
}

/** The refusal of a target that already has rows in `tables`. */
function refusal(where: string, tables: string[], advice: string): CopyRefusedError {
  const list = `${tables.slice(0, 5).join(', ')}${tables.length > 5 ? ` and ${tables.length - 5} more tables` : ''}`;
  return new CopyRefusedError(`${where} already has rows (in ${list}); ${advice}`);
}

/**
 * Copies every table of the SQLite database `db` into the PostgreSQL database `target` (a URL: migrated
 * first; or a pool on an already migrated database), in one PostgreSQL transaction, from one SQLite read
 * snapshot. Refuses (CopyRefusedError, nothing written) a target where any gateway table has rows (with
 * `besideOtherTables`: any table the source has rows in too), or a source not at this version's migrations. Row counts are compared per table before the commit; identity
 * sequences are moved past the copied ids. `db` must be a connection no one else uses meanwhile (it holds
 * a read transaction); errors other than refusals are CopyFailedError or PostgresUnavailableError.
 */
export async function copySqliteToPostgres(db: Db, target: string | pg.Pool, opts: CopyOptions = {}): Promise<CopyReport> {
  const batchRows = opts.batchRows ?? DEFAULT_BATCH_ROWS;
  if (!Number.isInteger(batchRows) || batchRows < 1) throw new RangeError(`batchRows must be a positive integer, not ${batchRows}`);
  if (db.$client.inTransaction) throw new Error('copySqliteToPostgres needs a SQLite connection with no open transaction');
  checkSourceSchema(db);
  const plan = copyPlan();
  const { client, shown, release } = await connect(target);
  const where = shown ? `PostgreSQL at ${shown.host}:${shown.port}, database "${shown.database}"` : 'the target database';
  const sqlite = db.$client;
  let stage = 'starting';
  try {
    await client.query('BEGIN');
    // No one may write the target between the emptiness check and the commit (a gateway started early):
    // readers still can.
    await client.query(`LOCK TABLE ${plan.map((t) => quote(t.name)).join(', ')} IN EXCLUSIVE MODE`);
    const nonEmpty = await client.query<{ t: string }>(plan.map((t) => `SELECT '${t.name}' AS t WHERE EXISTS (SELECT 1 FROM ${quote(t.name)})`).join(' UNION ALL '));
    const occupied = nonEmpty.rows.map((r) => r.t);
    if (occupied.length > 0 && !opts.besideOtherTables) throw refusal(where, occupied, 'copy only into a database with no gateway data (a new one, migrated or not)');
    // The target's own rows, to check each table's count after the copy against them plus the copied ones.
    const before = new Map<string, number>();
    if (occupied.length > 0) {
      const counted = await client.query<{ t: string; n: number }>(occupied.map((t) => `SELECT '${t}' AS t, count(*)::float8 AS n FROM ${quote(t)}`).join(' UNION ALL '));
      for (const r of counted.rows) before.set(r.t, Number(r.n));
    }

    // One read transaction: the counts, the sequences and every table's rows come from the same snapshot.
    sqlite.exec('BEGIN');
    const expected = new Map<string, number>();
    let sequences: Map<string, number>;
    try {
      for (const t of plan) expected.set(t.name, (sqlite.prepare(`SELECT count(*) AS n FROM ${quote(t.name)}`).get() as { n: number }).n);
      const both = occupied.filter((t) => (expected.get(t) ?? 0) > 0);
      if (both.length > 0) throw refusal(where, both, 'the source has rows there too: copy only into tables that hold no gateway data');
      sequences = sqliteSequences(db);
      const tables: CopiedTable[] = [];
      for (const t of plan) {
        stage = `copying ${t.name}`;
        const rows = await copyTable(db, client, t, batchRows);
        tables.push({ table: t.name, rows });
        opts.onTable?.({ table: t.name, rows });
      }
      stage = 'checking';
      const counted = await client.query<{ t: string; n: number }>(plan.map((t) => `SELECT '${t.name}' AS t, count(*)::float8 AS n FROM ${quote(t.name)}`).join(' UNION ALL '));
      const inTarget = new Map(counted.rows.map((r) => [r.t, Number(r.n)]));
      const own = (t: string) => before.get(t) ?? 0;
      const wrong = plan.filter((t) => expected.get(t.name)! + own(t.name) !== inTarget.get(t.name) || expected.get(t.name) !== tables.find((x) => x.table === t.name)?.rows);
      if (wrong.length > 0) {
        const what = wrong.map((t) => `${t.name} has ${expected.get(t.name)} rows in SQLite and ${inTarget.get(t.name)! - own(t.name)} copied into PostgreSQL`).join('; ');
        throw new CopyFailedError(`the row counts differ after the copy (${what}); nothing was written (the copy was rolled back)`);
      }

      stage = 'moving the id sequences';
      const moved: CopyReport['sequences'] = [];
      for (const t of plan) {
        for (const c of t.columns.filter((x) => x.identity)) {
          const max = await client.query<{ m: number | null }>(`SELECT max(${quote(c.name)})::float8 AS m FROM ${quote(t.name)}`);
          const last = Math.max(Number(max.rows[0]?.m ?? 0), sequences.get(t.name) ?? 0);
          if (last < 1) continue; // nothing handed out: the sequence still starts at 1
          await client.query('SELECT setval(pg_get_serial_sequence($1, $2), $3)', [quote(t.name), c.name, last]);
          moved.push({ table: t.name, column: c.name, nextId: last + 1 });
        }
      }
      // Planner statistics now, as after any bulk load: until autovacuum gets to the new tables, the
      // planner would guess their sizes and pick plans for empty tables.
      stage = 'gathering planner statistics';
      await client.query(`ANALYZE ${plan.map((t) => quote(t.name)).join(', ')}`);
      stage = 'committing';
      await client.query('COMMIT');
      return { tables, totalRows: tables.reduce((s, t) => s + t.rows, 0), sequences: moved };
    } finally {
      if (sqlite.inTransaction) sqlite.exec('COMMIT');
    }
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    if (e instanceof CopyRefusedError || e instanceof CopyFailedError) throw e;
    // A server error (it has a SQLSTATE) is described as `vasgw migrate` would; a SQLite one as it is.
    const fromServer = e instanceof pg.DatabaseError || typeof (e as { code?: unknown }).code === 'string' && /^E[A-Z]+$|^[0-9A-Z]{5}$/.test((e as { code: string }).code);
    const detail = fromServer && shown ? describePostgresError(e, shown) : (e as Error).message.split('\n')[0];
    throw new CopyFailedError(`${stage === 'starting' ? 'the copy could not start' : `the copy failed while ${stage}`}: ${detail}; nothing was written (the copy was rolled back)`);
  } finally {
    await release();
  }
}
