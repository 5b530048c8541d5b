import type { Config } from '../config';
import { migratePostgres, PostgresUnavailableError } from '../db/postgres/migrate';
import { parsePostgresUrl } from '../db/postgres/url';

type Out = (line: string) => void;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * `vasgw migrate` when DATABASE_URL (database.url) selects PostgreSQL: applies ./migrations/pg and
 * says what it applied. Exit 0 when the database is up to date, 1 with one sentence when it cannot be
 * reached or a migration fails. The password is never printed.
 */
export async function runMigratePostgres(config: Config, json: boolean, out: Out, err: Out): Promise<number> {
  const target = parsePostgresUrl(config.database.url ?? '');
  let report;
  try {
    report = await migratePostgres(target);
  } catch (e) {
    if (!(e instanceof PostgresUnavailableError)) throw e;
    err(`vasgw migrate: ${e.message}.`);
    return 1;
  }
  if (json) {
    out(JSON.stringify({ database: 'postgresql', url: target.shown, ...report }, null, 2));
    return 0;
  }
  if (report.applied.length === 0) out(`database ${target.shown} is up to date: ${plural(report.alreadyApplied, 'migration')} applied before, nothing to apply`);
  else {
    out(`database ${target.shown}: applied ${plural(report.applied.length, 'migration')} (${report.applied.join(', ')})${report.alreadyApplied ? `, ${report.alreadyApplied} applied before` : ''}`);
  }
  // The stored-profile check (and its report) is the SQLite command's; profiles written on PostgreSQL were checked as they were written.
  out('profiles: not checked on PostgreSQL (the gateway checks each profile as it writes it; check a SQLite file before `vasgw db copy`)');
  return 0;
}
