import { existsSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { closeDb } from '../db/handle';
import type { Db } from '../db/client';
import { CopyFailedError, CopyRefusedError, copySqliteToPostgres, openCopySource, type CopiedTable, type CopyReport } from '../db/postgres/copy';
import { PostgresUnavailableError } from '../db/postgres/migrate';
import { DatabaseUrlError, parsePostgresUrl } from '../db/postgres/url';

type Out = (line: string) => void;

const DB_COPY_USAGE = 'vasgw db copy --to postgres://user:password@host:port/db [--from SQLITE_FILE] [--json] [--config FILE]';

/** The longest table name (crm_discovery_profile_daily) and its colon: the counts line up. */
const TABLE_WIDTH = 28;

const rows = (n: number) => `${n.toLocaleString('en-US')} row${n === 1 ? '' : 's'}`;

/**
 * `vasgw db copy`: copies the SQLite database (--from, else database.path / DATABASE_PATH) into the
 * PostgreSQL database --to, all or nothing, and prints one line per table, the total and the time taken
 * (--json: a JSON report). Exit 2 for bad input (no or invalid --to, no SQLite file), 1 when the target
 * is unreachable, not empty, or the copy fails; the password is never printed.
 */
export async function runDbCopy(args: string[], out: Out, err: Out): Promise<number> {
  try {
    return await copyCommand(args, out, err);
  } catch (e) {
    if (!(e instanceof BadInput)) throw e;
    // Said here rather than through UsageError so the sentence names the subcommand: `vasgw db copy: ...`.
    err(`vasgw db copy: ${e.message}`);
    return 2;
  }
}

/** Bad command-line input: one sentence, exit 2. */
class BadInput extends Error {}

async function copyCommand(args: string[], out: Out, err: Out): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { to: { type: 'string' }, from: { type: 'string' }, json: { type: 'boolean' }, config: { type: 'string' }, 'batch-rows': { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new BadInput((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals[0] !== 'copy' || positionals.length > 1) throw new BadInput(`usage: ${DB_COPY_USAGE}`);
  if (!values.to) throw new BadInput('needs --to with the PostgreSQL database to copy into (postgres://user:password@host:port/db)');
  let target;
  try {
    target = parsePostgresUrl(values.to);
  } catch (e) {
    if (e instanceof DatabaseUrlError) throw new BadInput(`--to: ${e.message}`);
    throw e;
  }
  const batchRows = values['batch-rows'] === undefined ? undefined : Number(values['batch-rows']);
  if (batchRows !== undefined && !(Number.isInteger(batchRows) && batchRows > 0)) throw new BadInput('--batch-rows must be a positive whole number');
  // --from needs no config; without it, the file every command uses (config database.path, env DATABASE_PATH).
  const from = values.from ?? loadConfig({ file: values.config }).database.path;
  if (from === ':memory:') throw new BadInput('the configured database is in memory (database.path is :memory:); give the SQLite file with --from');
  if (!existsSync(from) || !statSync(from).isFile()) throw new BadInput(`there is no SQLite database file at ${from} (give it with --from, or set DATABASE_PATH)`);

  let db: Db;
  try {
    db = openCopySource(from);
  } catch (e) {
    throw new BadInput(`${from} cannot be read as a SQLite database (${(e as Error).message})`);
  }
  const started = performance.now();
  let report: CopyReport;
  try {
    if (!values.json) out(`copying SQLite ${from} into ${target.shown} (one transaction: nothing is kept unless all of it is copied)`);
    // A line as each table is done, so a long copy shows where it is (the total line says when it is committed).
    const onTable = values.json ? undefined : (t: CopiedTable) => out(`${`${t.table}:`.padEnd(TABLE_WIDTH)} ${rows(t.rows)}`);
    report = await copySqliteToPostgres(db, target.url, { ...(batchRows ? { batchRows } : {}), ...(onTable ? { onTable } : {}) });
  } catch (e) {
    if (e instanceof PostgresUnavailableError || e instanceof CopyRefusedError || e instanceof CopyFailedError) {
      err(`vasgw db copy: ${e.message}.`);
      return 1;
    }
    throw e;
  } finally {
    closeDb(db);
  }
  const seconds = (performance.now() - started) / 1000;
  if (values.json) {
    out(JSON.stringify({ from, to: target.shown, ...report, seconds: Number(seconds.toFixed(3)) }, null, 2));
    return 0;
  }
  const rate = seconds >= 1 && report.totalRows >= 1000 ? `, ${Math.round(report.totalRows / seconds).toLocaleString('en-US')} rows/s` : '';
  out(`total: ${rows(report.totalRows)} in ${report.tables.length} tables, ${seconds.toFixed(1)} s${rate}; counts checked per table, committed`);
  return 0;
}
