import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { defaultPublicBaseUrl } from '../config/ivr';
import type { Config } from '../config';
import { databaseBackend } from '../db/backend';
import { openDb } from '../db/client';
import { systemClock } from '../lib/clock';
import type { ReadinessReport } from '../lib/readiness';
import { formatStatus, gatewayStatus, type GatewayStatus } from '../operations/gateway-status';
import { closeDb } from '../db/handle';
import { sqliteDatabase } from '../db/sqlite-database';
import { PgDatabase } from '../db/postgres/pg-database';
import { maskDatabaseUrl, parsePostgresUrl } from '../db/postgres/url';

type Out = (line: string) => void;

/** How long the running gateway gets to answer before the database is read instead (ms). */
const ASK_TIMEOUT_MS = 3000;

async function getJson(url: string, token: string | null): Promise<{ status: number; body: unknown } | null> {
  try {
    const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(ASK_TIMEOUT_MS) });
    return { status: res.status, body: await res.json().catch(() => null) };
  } catch {
    // Not listening, or not answering in time: the caller falls back to the database.
    return null;
  }
}

/**
 * `vasgw status`: asks the running gateway (GET /api/v1/operations/status with the API token; else its
 * public /readyz for bind state and reasons, the rest from the database); with no gateway answering,
 * reads the database alone. Exit 0 when ready, 1 when not ready or not reachable.
 */
export async function runStatus(args: string[], out: Out, err: Out, usageError: new (m: string) => Error): Promise<number> {
  let values: { config?: string | undefined; json?: boolean | undefined; url?: string | undefined };
  try {
    ({ values } = parseArgs({ args, options: { config: { type: 'string' }, json: { type: 'boolean' }, url: { type: 'string' } }, strict: true }));
  } catch (e) {
    throw new usageError((e as Error).message);
  }
  const config = loadConfig({ file: values.config });
  const base = (values.url ?? defaultPublicBaseUrl(config.server)).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+/.test(base)) throw new usageError(`--url must be like http://127.0.0.1:3000 (got "${values.url}")`);

  let status: GatewayStatus | null = null;
  let note: string | null = null;
  const api = config.api.token ? await getJson(`${base}/api/v1/operations/status`, config.api.token) : null;
  if (api?.status === 200) status = api.body as GatewayStatus;
  else {
    if (api?.status === 401) note = `${base} refused the API token (api.token / VASGW_API_TOKEN differ): bind state from /readyz, the rest from the database`;
    const ready = await getJson(`${base}/readyz`, null);
    const readiness = ready && (ready.status === 200 || ready.status === 503) ? toReport(ready.body) : null;
    if (!readiness) note = `no gateway answering at ${base}: read from the database ${databaseName(config)}; bind state unknown`;
    status = await statusFromDatabase(config, readiness, (m) => err(`vasgw status: ${note ?? ''}${note ? '; ' : ''}${m}`));
    if (!status) return 1;
  }
  if (values.json) out(JSON.stringify(note ? { ...status, note } : status, null, 2));
  else {
    if (note) out(`(${note})`);
    for (const line of formatStatus(status)) out(line);
  }
  return status.ready === true ? 0 : 1;
}

/** The database status reads, as an operator may see it (a PostgreSQL URL without its password). */
function databaseName(config: Config): string {
  return databaseBackend(config) === 'postgresql' ? maskDatabaseUrl(config.database.url ?? '') : config.database.path;
}

/** The status read from the configured database (SQLite file or PostgreSQL), or null after saying why it cannot be read. */
async function statusFromDatabase(config: Config, readiness: ReadinessReport | null, fail: (message: string) => void): Promise<GatewayStatus | null> {
  const live = readiness ? { live: { readiness } } : {};
  if (databaseBackend(config) === 'postgresql') {
    const database = new PgDatabase(parsePostgresUrl(config.database.url ?? ''), { max: 2, applicationName: 'vasgw status' });
    try {
      return await gatewayStatus({ database, config, now: systemClock.now(), ...live });
    } catch (e) {
      fail(`cannot read ${databaseName(config)}: ${(e as Error).message}`);
      return null;
    } finally {
      await database.close();
    }
  }
  if (config.database.path === ':memory:' || !existsSync(config.database.path)) {
    fail(`no database file at ${config.database.path} (set DATABASE_PATH or --config)`);
    return null;
  }
  const db = openDb({ path: config.database.path });
  try {
    return await gatewayStatus({ database: sqliteDatabase(db), config, now: systemClock.now(), ...live });
  } finally {
    closeDb(db);
  }
}

/** The /readyz body as a readiness report (older gateways answer without `reasons`). */
function toReport(body: unknown): ReadinessReport | null {
  const b = body as { status?: string; reasons?: ReadinessReport['reasons']; checks?: ReadinessReport['checks'] } | null;
  if (!b || typeof b.status !== 'string' || typeof b.checks !== 'object') return null;
  return { ok: b.status === 'ready', reasons: b.reasons ?? [], checks: b.checks ?? {} };
}
