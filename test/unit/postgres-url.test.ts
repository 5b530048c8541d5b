import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { databaseBackend } from '../../src/db/backend';
import { maskDatabaseUrl, parsePostgresUrl } from '../../src/db/postgres/url';

const SECRET = 's3cret-Pw';

describe('DATABASE_URL / database.url', () => {
  it('selects PostgreSQL when set, SQLite at database.path when not', () => {
    const pg = loadConfig({ env: { DATABASE_URL: `postgres://vasgw:${SECRET}@db.example:6543/gateway` } });
    expect(pg.database.url).toBe(`postgres://vasgw:${SECRET}@db.example:6543/gateway`);
    expect(databaseBackend(pg)).toBe('postgresql');
    const lite = loadConfig({ env: {} });
    expect(lite.database.url).toBeNull();
    expect(databaseBackend(lite)).toBe('sqlite');
    expect(databaseBackend(loadConfig({ env: {}, overrides: { database: { url: 'postgresql://u@h/d' } } }))).toBe('postgresql');
  });

  it('reads host, port, database and user, and masks the password', () => {
    expect(parsePostgresUrl(`postgres://vasgw:${SECRET}@db.example:6543/gateway?sslmode=require`)).toEqual({
      url: `postgres://vasgw:${SECRET}@db.example:6543/gateway?sslmode=require`,
      shown: 'postgres://vasgw:***@db.example:6543/gateway?sslmode=require',
      host: 'db.example',
      port: 6543,
      database: 'gateway',
      user: 'vasgw',
    });
    expect(parsePostgresUrl('postgresql://vasgw@localhost/gateway').port).toBe(5432);
    expect(maskDatabaseUrl(`postgres://u:${SECRET}@h/d`)).toBe('postgres://u:***@h/d');
  });

  it.each([
    ['not a URL', `postgres//vasgw:${SECRET}@h/db`, /database\.url \(DATABASE_URL\): the database URL is not a URL \(expected postgres:\/\/user:password@host:port\/database/],
    ['another scheme', `mysql://vasgw:${SECRET}@h/db`, /the database URL mysql:\/\/vasgw:\*\*\*@h\/db is not a PostgreSQL URL/],
    ['no database', `postgres://vasgw:${SECRET}@h:5432`, /names no database/],
    ['no host', `postgres://vasgw:${SECRET}@/db`, /names no host|is not a URL/],
  ])('stops at start-up, naming the key, for %s, without printing the password', (_what, url, message) => {
    let err: Error | undefined;
    try {
      loadConfig({ env: { DATABASE_URL: url } });
    } catch (e) {
      err = e as Error;
    }
    expect(err?.name).toBe('ConfigError');
    expect(err?.message).toMatch(/^invalid config key database\.url \(DATABASE_URL\): /);
    expect(err?.message).toMatch(message);
    expect(err?.message).not.toContain(SECRET);
  });
});
