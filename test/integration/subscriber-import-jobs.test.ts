import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { AUTH, eventually, stopAfterEach, testGateway, type TestGateway } from '../helpers/gateway';
import { farmersCsv, msisdn } from '../helpers/import-csv';

// Big CSV imports run as jobs (issue 11, defect 4): the server keeps answering while one runs, its
// status says how far it got and which lines were rejected, and it survives a restart.

let gw: TestGateway | null = null;
stopAfterEach(() => [gw]);

const post = (g: TestGateway, body: string, query = '') =>
  g.app.inject({ method: 'POST', url: `/api/v1/subscribers/import${query}`, headers: { ...AUTH, 'content-type': 'text/csv' }, payload: body });
const status = async (g: TestGateway, id: string) => (await g.app.inject({ method: 'GET', url: `/api/v1/subscribers/import/${id}`, headers: AUTH })).json();
const subscriberCount = async (g: TestGateway) => (await g.core.database.get<{ n: number }>(sql`SELECT count(*) AS "n" FROM subscribers`))!.n;

describe('a large CSV import runs as a job', () => {
  it('answers 202 at once, keeps /healthz answering while it runs, and ends with counts and the rejected lines', async () => {
    gw = await testGateway();
    const bad = {
      5: `${msisdn(3)},robot,1990,Nakuru,maize,1,sw`,
      50_001: 'not-a-number,female,1990,Nakuru,maize,1,sw',
      99_999: `${msisdn(99_997)},female,19x0,Nakuru,maize,1,sw`,
    };
    const csv = farmersCsv(100_000, bad);
    const res = await post(gw, csv);
    expect(res.statusCode).toBe(202);
    const job = res.json();
    expect(job).toMatchObject({ id: expect.stringMatching(/^imp_/), status: 'running', source: 'api', bytes: Buffer.byteLength(csv) });

    // Health checks over a real socket are answered between batches: a health answer followed by a
    // status still short of the total.
    await gw.app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(gw.app.server.address() as { port: number }).port}`;
    let answeredMidImport = false;
    let polls = 0;
    while (!answeredMidImport) {
      const health = await fetch(`${base}/healthz`);
      expect(health.status).toBe(200);
      polls++;
      const s = (await (await fetch(`${base}/api/v1/subscribers/import/${job.id}`, { headers: AUTH })).json()) as { status: string; phase: string; rowsDone: number; rowsTotal: number };
      if (s.status !== 'running') break;
      if (s.phase === 'importing' && s.rowsDone > 0 && s.rowsDone < s.rowsTotal) answeredMidImport = true;
    }
    expect(polls).toBeGreaterThan(0);
    expect(answeredMidImport).toBe(true);

    const done = await eventually(async () => {
      const s = await status(gw!, job.id);
      return s.status === 'running' ? null : s;
    }, { timeoutMs: 120_000, intervalMs: 50, what: 'the import job to end' });
    expect(done).toMatchObject({ status: 'done', rowsTotal: 100_000, rowsDone: 100_000, created: 99_997, updated: 0, rejected: 3 });
    expect(done.errors).toEqual([
      { line: 5, msisdn: '+254720000003', reason: 'gender: "robot" is not allowed; gender must be one of female, male, other.' },
      { line: 50_001, msisdn: 'not-a-number', reason: '"not-a-number" is not a phone number' },
      { line: 99_999, msisdn: '+254720099997', reason: expect.stringMatching(/^birthYear: "19x0" is not allowed/) },
    ]);
    expect(done.finishedAt).not.toBeNull();
    expect(await subscriberCount(gw)).toBe(99_997);
    const last = (await gw.app.inject({ method: 'GET', url: `/api/v1/subscribers/${msisdn(99_999)}`, headers: AUTH })).json();
    expect(last).toMatchObject({ region: 'Nakuru', language: 'sw', profile: { gender: 'male', birthYear: 1960 + (99_999 % 50), crops: ['maize', 'beans'], farmSize: (99_999 % 7) + 0.5 }, lastSeenAt: null });
  }, 180_000);

  it('a small file with ?async=true is a job too; a file broken halfway fails whole and writes nothing', async () => {
    gw = await testGateway();
    const ok = await post(gw, farmersCsv(10), '?async=true');
    expect(ok.statusCode).toBe(202);
    const done = await eventually(async () => ((await status(gw!, ok.json().id)).status === 'done' ? status(gw!, ok.json().id) : null));
    expect(done).toMatchObject({ rowsDone: 10, created: 10, errors: [] });

    // A quote opened on line 2 and never closed: the file is not CSV past it.
    const broken = await post(gw, farmersCsv(3000, { 2: '"0711000001,female,1990,Nakuru,maize,1,sw' }), '?async=true');
    expect(broken.statusCode).toBe(202);
    const failed = await eventually(async () => {
      const s = await status(gw!, broken.json().id);
      return s.status === 'failed' ? s : null;
    });
    expect(failed).toMatchObject({ rowsDone: 0, created: 0, error: { code: 'INVALID_CSV', message: expect.stringMatching(/cannot be read: .*line 2.*Nothing was imported/) } });
    expect(await subscriberCount(gw)).toBe(10);

    // The header is checked before the job starts: a 400 at once, no job.
    const header = await post(gw, 'msisdn,village\n0712000001,Kiambu\n', '?async=true');
    expect(header.statusCode).toBe(400);
    expect(header.json().error).toMatchObject({ code: 'INVALID_CSV', message: expect.stringMatching(/"village" is not a profile field/) });
    expect((await gw.app.inject({ method: 'GET', url: '/api/v1/subscribers/import', headers: AUTH })).json().jobs).toHaveLength(2);
    expect((await gw.app.inject({ method: 'GET', url: '/api/v1/subscribers/import/imp_nope', headers: AUTH })).json().error.code).toBe('IMPORT_NOT_FOUND');
    expect((await post(gw, farmersCsv(1), '?async=maybe')).statusCode).toBe(400);
  });

  it('a small file broken after its first batch is still refused whole (400, nothing written)', async () => {
    gw = await testGateway({ campaigns: { importBatchRows: 100 } });
    const res = await post(gw, farmersCsv(500, { 450: `${msisdn(448)},"female"x,1990,Nakuru,maize,1,sw` }));
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'INVALID_CSV', details: { line: 450 } });
    expect(await subscriberCount(gw)).toBe(0);
  });

  it('refuses a body above campaigns.importMaxBytes with 413', async () => {
    gw = await testGateway({ campaigns: { importMaxBytes: 4096 } });
    const res = await post(gw, farmersCsv(200));
    expect(res.statusCode).toBe(413);
    expect(res.json().error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: expect.stringMatching(/campaigns\.importMaxBytes/) });
    // Sent in chunks without a length, over a socket: still a 413, not a cut connection.
    await gw.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (gw.app.server.address() as { port: number }).port;
    const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/api/v1/subscribers/import', method: 'POST', headers: { ...AUTH, 'content-type': 'text/csv', 'transfer-encoding': 'chunked' } }, (r) => {
        let body = '';
        r.on('data', (d: Buffer) => (body += d.toString()));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      const csv = farmersCsv(200);
      for (let i = 0; i < csv.length; i += 1000) req.write(csv.slice(i, i + 1000));
      req.end();
    });
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body).error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(await subscriberCount(gw)).toBe(0);
  });

  it('a job running when the gateway shuts down stops after a batch and says so after the restart', async () => {
    const dbPath = path.join(mkdtempSync(path.join(os.tmpdir(), 'vasgw-import-')), 'gw.db');
    gw = await testGateway({}, { dbPath });
    const id = (await post(gw, farmersCsv(30_000), '?async=true')).json().id as string;
    await eventually(async () => (await status(gw!, id)).rowsDone > 0, { timeoutMs: 60_000 });
    await gw.stop();
    gw = await testGateway({}, { dbPath });
    const s = await status(gw, id);
    expect(s).toMatchObject({ status: 'failed', error: { code: 'INTERRUPTED', message: expect.stringMatching(/^Interrupted: the gateway shut down after line \d+ \(\d+ rows done\)/) } });
    expect(s.rowsDone).toBeLessThan(30_000);
    expect(await subscriberCount(gw)).toBe(s.rowsDone);
  }, 120_000);

  it('a finished job keeps its status across a restart', async () => {
    const dbPath = path.join(mkdtempSync(path.join(os.tmpdir(), 'vasgw-import-')), 'gw.db');
    gw = await testGateway({}, { dbPath });
    const res = await post(gw, farmersCsv(20, { 3: `${msisdn(1)},female,1850,Nakuru,maize,1,sw` }), '?async=true');
    const id = res.json().id as string;
    await eventually(async () => (await status(gw!, id)).status === 'done');
    await gw.stop();
    gw = await testGateway({}, { dbPath });
    expect(await status(gw, id)).toMatchObject({ status: 'done', rowsDone: 20, created: 19, rejected: 1, errors: [{ line: 3, reason: expect.stringMatching(/birthYear/) }] });
  });
});

