import type { Config } from '../config';
import { ConfigError } from '../lib/errors';
import { maskDatabaseUrl } from './postgres/url';

/** Which database the configuration selects: PostgreSQL when database.url (DATABASE_URL) is set, else SQLite at database.path. */
export function databaseBackend(config: Pick<Config, 'database'>): 'sqlite' | 'postgresql' {
  return config.database.url ? 'postgresql' : 'sqlite';
}

/**
 * Stops a command that runs the gateway's features when the configuration selects PostgreSQL: this
 * version creates and migrates the PostgreSQL schema (`vasgw migrate`) but serves on SQLite only, and
 * quietly using the SQLite file instead would put the data where nobody expects it.
 */
export function refuseUnlessSqlite(config: Pick<Config, 'database'>, command: string): void {
  if (databaseBackend(config) === 'sqlite') return;
  throw new ConfigError(
    `${command} on PostgreSQL is not available yet: DATABASE_URL (database.url) selects ${maskDatabaseUrl(config.database.url ?? '')}, ` +
      `and this version serves on SQLite only (\`vasgw migrate\` already creates and migrates the PostgreSQL tables); ` +
      `unset DATABASE_URL and database.url to run on the SQLite file ${config.database.path}.`,
  );
}
