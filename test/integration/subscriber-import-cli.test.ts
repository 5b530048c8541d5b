import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { cliDatabaseEnv } from '../helpers/cli-database';
import { AUTH, stopAfterEach, testGateway, type TestGateway } from '../helpers/gateway';
import { farmersCsv, msisdn } from '../helpers/import-csv';

// `vasgw import FILE`: the same import as the API, from a terminal, recorded as a job; and a job whose
// process is killed mid-import says it was interrupted, with exactly the rows it wrote.

const VASGW = fileURLToPath(new URL('../../src/vasgw.mjs', import.meta.url));
// The command works on the database of the gateways the test builds with the workspace's dbPath: the
// SQLite file, or on PostgreSQL the database kept for it (cliDatabaseEnv).
type CliDatabase = Awaited<ReturnType<typeof cliDatabaseEnv>>;
const env = (db: CliDatabase) => ({ ...process.env, LOG_LEVEL: 'silent', ...db });
const run = (args: string[], db: CliDatabase) => spawnSync(process.execPath, [VASGW, ...args], { encoding: 'utf8', env: env(db), timeout: 120_000 });

let gw: TestGateway | null = null;
stopAfterEach(() => [gw]);

async function workspace() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vasgw-import-cli-'));
  const file = (name: string, body: string) => {
    const p = path.join(dir, name);
    writeFileSync(p, body);
    return p;
  };
  const dbPath = path.join(dir, 'gw.db');
  return { dir, dbPath, db: await cliDatabaseEnv(dbPath), file };
}

const status = async (g: TestGateway, id: string) => (await g.app.inject({ method: 'GET', url: `/api/v1/subscribers/import/${id}`, headers: AUTH })).json();
const subscriberCount = async (g: TestGateway) => (await g.core.database.get<{ n: number }>(sql`SELECT count(*) AS "n" FROM subscribers`))!.n;

describe('vasgw import', () => {
  it('imports a file, prints progress and the counts, and records the job the API shows', async () => {
    const ws = await workspace();
    const csv = ws.file('farmers.csv', farmersCsv(3000, { 7: `${msisdn(5)},female,1990,Nakuru,maize,-2,sw` }));
    const r = run(['import', csv], ws.db);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/job imp_\w+: 3000 lines to import/);
    expect(r.stdout).toMatch(/\d+\/3000 lines \(\d+%\): created \d+, updated 0, rejected [01]/);
    expect(r.stdout).toMatch(/done: 3000 lines: created 2999, updated 0, rejected 1 \(job imp_\w+\)/);
    expect(r.stdout).toMatch(/line 7 \(\+254720000005\): farmSize: "-2" is not allowed/);

    // Again: every line now updates what the first run created.
    const again = run(['import', csv], ws.db);
    expect(again.stdout).toMatch(/done: 3000 lines: created 0, updated 2999, rejected 1/);

    const id = /job (imp_\w+):/.exec(r.stdout)![1]!;
    gw = await testGateway({}, { dbPath: ws.dbPath });
    expect(await status(gw, id)).toMatchObject({ status: 'done', source: 'cli', fileName: 'farmers.csv', rowsDone: 3000, created: 2999, rejected: 1, errors: [{ line: 7 }] });
    expect(await subscriberCount(gw)).toBe(2999);
  }, 120_000);

  it('exits 1 with a sentence when the file cannot be imported', async () => {
    const ws = await workspace();
    const missing = run(['import', path.join(ws.dir, 'nope.csv')], ws.db);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/vasgw import: cannot read .*nope\.csv/);

    const header = run(['import', ws.file('h.csv', 'phone,region\n0712000001,Nakuru\n')], ws.db);
    expect(header.status).toBe(1);
    expect(header.stderr).toMatch(/h\.csv was not imported: The header must have an msisdn column/);

    const broken = run(['import', ws.file('b.csv', farmersCsv(50, { 40: `${msisdn(38)},"female"x,1990,Nakuru,maize,1,sw` }))], ws.db);
    expect(broken.status).toBe(1);
    expect(broken.stderr).toMatch(/b\.csv was not imported: The CSV cannot be read: .*line 40.*Nothing was imported/);
    expect(run(['import'], ws.db).status).toBe(2);
  }, 120_000);

  it('a job whose process is killed mid-import reads as interrupted, with the rows it wrote', async () => {
    const ws = await workspace();
    const csv = ws.file('big.csv', farmersCsv(100_000));
    const child = spawn(process.execPath, [VASGW, 'import', csv], { env: env(ws.db), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const id = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        // Killed at its first progress line: rows are being written.
        if (/lines \(\d+%\)/.test(out)) {
          child.kill('SIGKILL');
          resolve(/job (imp_\w+):/.exec(out)![1]!);
        }
      });
      child.on('exit', () => reject(new Error(`import ended before it could be killed: ${out}`)));
    });
    await new Promise((r) => child.once('exit', r));

    // A later process, past the job's lease: the job is not "running" any more.
    gw = await testGateway({}, { dbPath: ws.dbPath, now: new Date(Date.now() + 10 * 60_000).toISOString() });
    const s = await status(gw, id);
    expect(s).toMatchObject({ status: 'failed', source: 'cli', rowsTotal: 100_000, error: { code: 'INTERRUPTED', message: expect.stringMatching(/^Interrupted: the process running it stopped .* after line \d+ \(\d+ rows done\)/) } });
    expect(s.rowsDone).toBeGreaterThan(0);
    expect(s.rowsDone).toBeLessThan(100_000);
    // The count committed with each batch is exactly what was written.
    expect(await subscriberCount(gw)).toBe(s.rowsDone);
    expect(s.finishedAt).not.toBeNull();
  }, 120_000);
});
