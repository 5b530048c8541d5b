import type { Config } from '../config';
import { ConfigError } from '../lib/errors';
import { maskDatabaseUrl } from './postgres/url';

/** Which database the configuration selects: PostgreSQL when database.url (DATABASE_URL) is set, else SQLite at database.path. */
export function databaseBackend(config: Pick<Config, 'database'>): 'sqlite' | 'postgresql' {
  return config.database.url ? 'postgresql' : 'sqlite';
}

/**
 * Stops a command whose work still runs through the synchronous SQLite handle (the CRM's detectors,
 * scores and interventions; the population generator) when the configuration selects PostgreSQL:
 * quietly using the SQLite file instead would put the data where nobody expects it. `vasgw serve` and
 * `vasgw import` run on either engine.
 */
export function refuseUnlessSqlite(config: Pick<Config, 'database'>, command: string): void {
  if (databaseBackend(config) === 'sqlite') return;
  throw new ConfigError(
    `${command} on PostgreSQL is not available yet: DATABASE_URL (database.url) selects ${maskDatabaseUrl(config.database.url ?? '')}, ` +
      `and this command still runs on SQLite only (\`vasgw serve\` and \`vasgw import\` run on PostgreSQL); ` +
      `unset DATABASE_URL and database.url to run it on the SQLite file ${config.database.path}.`,
  );
}
