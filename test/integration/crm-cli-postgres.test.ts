import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli';
import { closedPort, databaseForFile, postgresUnavailable } from '../helpers/postgres';

// `vasgw generate` and `vasgw detect` with DATABASE_URL: the population lands in PostgreSQL (generated
// into a SQLite file of its own, then copied in one transaction), and the CRM pass runs there, finding
// the sessions the generator planted. A database with data is refused, as is a server that cannot be
// reached, in one sentence without the password.
const skip = postgresUnavailable();
const TIMEOUT = 180_000;

afterEach(() => {
  delete process.env.DATABASE_URL;
});

/** The CLI's own dispatcher, in this process, on the PostgreSQL database at `url`. */
async function vasgw(args: string[], url: string): Promise<{ code: number | undefined; out: string; err: string }> {
  process.env.DATABASE_URL = url;
  process.env.LOG_LEVEL = 'silent';
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, (l) => out.push(l), (l) => err.push(l));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe.skipIf(skip !== null)('vasgw generate and detect on PostgreSQL', () => {
  // Not migrated: generate's copy migrates it.
  const pgFile = databaseForFile();

  async function count(table: string): Promise<number> {
    const client = new pg.Client({ connectionString: pgFile.db.url });
    await client.connect();
    try {
      return Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
    } finally {
      await client.end();
    }
  }

  it('generates a population into PostgreSQL, and detect finds on it every session the generator planted', async () => {
    const gen = await vasgw(['generate', '--subscribers', '300', '--days', '5', '--seed', '4', '--quiet'], pgFile.db.url);
    expect(gen.code, gen.err).toBe(0);
    const m = /generated (\d+) usage events \((\d+) sessions, (\d+) stuck.*for 300 subscribers, days 0-4 \((\S+) to (\S+)\)/.exec(gen.out);
    expect(m, gen.out).not.toBeNull();
    const [, events, sessions, , , end] = m!;
    expect(gen.out).toMatch(/copied [\d,]+ rows into postgres:\/\/[^ ]*:\*\*\*@127\.0\.0\.1:\d+\/\S+ in [\d.]+ s/);
    if (pgFile.server.password) expect(gen.out + gen.err).not.toContain(pgFile.server.password);
    expect(await count('subscribers')).toBe(300);
    expect(await count('usage_events')).toBe(Number(events));

    const detect = await vasgw(['detect', '--now', end!, '--json'], pgFile.db.url);
    expect(detect.code, detect.err).toBe(0);
    const s = JSON.parse(detect.out) as { events: number; sessions: number; findings: Record<string, number> };
    expect(s.events).toBeGreaterThan(Number(events) * 0.9); // all but events that are not steps (sms_out)
    expect(s.sessions).toBe(Number(sessions));
    expect(Object.values(s.findings).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(await count('crm_findings')).toBe(Object.values(s.findings).reduce((a, b) => a + b, 0));
  }, TIMEOUT);

  it('refuses a database that has data and --append-days, changing nothing', async () => {
    const before = await count('subscribers');
    const again = await vasgw(['generate', '--subscribers', '20', '--days', '2', '--quiet'], pgFile.db.url);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/^vasgw generate: .*already has rows \(in .*subscribers.*; the generated population was not kept\.$/);
    expect((await vasgw(['generate', '--append-days', '1'], pgFile.db.url)).err).toContain('--append-days continues a population in a SQLite file');
    expect(await count('subscribers')).toBe(before);
  }, TIMEOUT);

  it('detect says in one sentence, without the password, when the server cannot be reached', async () => {
    const r = await vasgw(['detect'], `postgres://vasgw:s3cret-pw@127.0.0.1:${await closedPort()}/vasgw`);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^vasgw detect: cannot reach PostgreSQL at 127\.0\.0\.1:\d+/);
    expect(r.err).not.toContain('s3cret-pw');
  }, TIMEOUT);
});
