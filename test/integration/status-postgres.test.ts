import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { migratePostgres } from '../../src/db/postgres/migrate';
import { pgSchema } from '../../src/db/postgres/schema';
import { parsePostgresUrl } from '../../src/db/postgres/url';
import { runVasgw } from '../helpers/child';
import { closedPort, databaseForFile, postgresUnavailable } from '../helpers/postgres';

// `vasgw status` with DATABASE_URL and no gateway answering: the queue, the recent errors and the running
// jobs come from PostgreSQL, and the URL it names carries no password.
const skip = postgresUnavailable();
const CLI_TIMEOUT = 90_000;

describe.skipIf(skip !== null)('vasgw status on PostgreSQL', () => {
  const pgFile = databaseForFile();

  beforeAll(async () => {
    const db = pgFile.db;
    await migratePostgres(parsePostgresUrl(db.url));
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    try {
      const orm = drizzle(pool);
      const now = Date.now();
      const msg = (id: string, status: string, dueAt: number, error: string | null = null) => ({
        id, msisdn: '+254700001111', text: 'Habari', kind: 'transactional', source: 'api', status, operator: null, encoding: 'gsm7', parts: 1,
        dueAt, expiresAt: now + 86_400_000, createdAt: now - 60_000, updatedAt: now - 60_000, error, bindId: error ? 'op1' : null,
      });
      await orm.insert(pgSchema.messages).values([msg('m1', 'queued', now - 30_000), msg('m2', 'queued', now + 3_600_000), msg('m3', 'failed', now - 60_000, 'ESME_RINVDSTADR')]);
      await orm.insert(pgSchema.campaigns).values({ id: 'cmp_1', name: 'Planting reminder', kind: 'sms', channel: 'sms', segmentId: 'seg_1', timezone: 'Africa/Nairobi', status: 'running', createdAt: now, updatedAt: now });
      await orm.insert(pgSchema.campaignRuns).values({ campaignId: 'cmp_1', dueAt: now, status: 'sending', total: 100, queued: 40, leaseOwner: 'host-a', leaseExpiresAt: now + 60_000, startedAt: now });
    } finally {
      await pool.end();
    }
  }, 120_000);

  it('reads the queue, errors and jobs from the database when no gateway answers', async () => {
    const port = await closedPort();
    const r = await runVasgw(['status', '--json', '--url', `http://127.0.0.1:${port}`], { DATABASE_URL: pgFile.db.url, VASGW_API_TOKEN: '' });
    expect(r.stderr).toBe('');
    // Not known to be ready without the gateway: exit 1.
    expect(r.code).toBe(1);
    const s = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(s).toMatchObject({
      source: 'database',
      ready: null,
      queue: { due: 1, deferred: 1, sent: 0 },
      oldestDue: { operator: 'none', waitedSeconds: expect.any(Number) },
      lastErrors: [expect.objectContaining({ messageId: 'm3', status: 'failed', error: 'ESME_RINVDSTADR', bindId: 'op1' })],
      jobs: { campaignRuns: [expect.objectContaining({ campaignId: 'cmp_1', name: 'Planting reminder', status: 'sending', total: 100, queued: 40, leaseOwner: 'host-a' })], crmPass: null },
    });
    expect(s.note).toMatch(new RegExp(`^no gateway answering at http://127\\.0\\.0\\.1:${port}: read from the database postgres://`));
    if (pgFile.server.password) expect(r.stdout + r.stderr).not.toContain(pgFile.server.password);
  }, CLI_TIMEOUT);

  it('says why when the database cannot be read', async () => {
    const port = await closedPort();
    const dead = await closedPort();
    const r = await runVasgw(['status', '--url', `http://127.0.0.1:${port}`], { DATABASE_URL: `postgres://vasgw:topsecret@127.0.0.1:${dead}/vasgw`, VASGW_API_TOKEN: '' });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^vasgw status: no gateway answering at .*; cannot read postgres:\/\/vasgw:\*\*\*@127\.0\.0\.1:\d+\/vasgw: /);
    expect(r.stderr + r.stdout).not.toContain('topsecret');
  }, CLI_TIMEOUT);
});
