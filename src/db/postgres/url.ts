// A PostgreSQL connection URL (DATABASE_URL or config database.url): checked once, and only ever shown
// with its password masked.

/** What a checked URL says, for messages (never the password). */
export interface PostgresTarget {
  /** The URL as given: passed to the driver, never printed. */
  url: string;
  /** The URL with the password masked, for messages and logs. */
  shown: string;
  host: string;
  port: number;
  database: string;
  user: string;
}

/** A database URL that cannot be used; the message never contains the password. */
export class DatabaseUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseUrlError';
  }
}

const SCHEMES = new Set(['postgres:', 'postgresql:']);

/** True when `url` names PostgreSQL (postgres:// or postgresql://), whether or not it is well formed. */
export function isPostgresUrl(url: string | null | undefined): url is string {
  return typeof url === 'string' && /^postgres(ql)?:\/\//i.test(url.trim());
}

/** `url` with its password replaced by ***, or a placeholder when it does not parse (it may hold one). */
export function maskDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(a URL that does not parse)';
  }
}

/**
 * Checks a PostgreSQL URL: postgres://user:password@host:port/database (port defaults to 5432; query
 * parameters such as sslmode pass through to the driver). Throws DatabaseUrlError with one sentence.
 */
export function parsePostgresUrl(url: string): PostgresTarget {
  const expected = 'expected postgres://user:password@host:port/database';
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    // The text may contain the password: it is not repeated.
    throw new DatabaseUrlError(`the database URL is not a URL (${expected}, with @ : / and % in the password percent-encoded)`);
  }
  const shown = maskDatabaseUrl(url.trim());
  if (!SCHEMES.has(u.protocol.toLowerCase())) {
    throw new DatabaseUrlError(`the database URL ${shown} is not a PostgreSQL URL (${expected}; SQLite is chosen by database.path / DATABASE_PATH instead)`);
  }
  const host = decodeURIComponent(u.hostname || u.searchParams.get('host') || '');
  if (!host) throw new DatabaseUrlError(`the database URL ${shown} names no host (${expected})`);
  const port = u.port ? Number(u.port) : 5432;
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!database || database.includes('/')) throw new DatabaseUrlError(`the database URL ${shown} names no database (${expected})`);
  return { url: url.trim(), shown, host, port, database, user: decodeURIComponent(u.username) };
}
