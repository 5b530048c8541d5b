import type { Config } from '../config';

/** Which database the configuration selects: PostgreSQL when database.url (DATABASE_URL) is set, else SQLite at database.path. */
export function databaseBackend(config: Pick<Config, 'database'>): 'sqlite' | 'postgresql' {
  return config.database.url ? 'postgresql' : 'sqlite';
}
