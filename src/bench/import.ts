import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { parse } from 'csv-parse';
import { migrateDb, openDb } from '../db/client';
import { GroupCommit } from '../db/group-commit';
import { sqliteDatabase } from '../db/sqlite-database';
import { BareImportStore } from './bare-import-store';
import { startTarget } from './http-target';
import type { Bench, BenchResult } from './types';

const TOKEN = 'bench-token-0123456789';
const HEADER = 'msisdn,gender,birthYear,region,crops,farmSize,language';
const NOW = Date.parse('2026-11-20T06:00:00Z');
const REGIONS = ['Nakuru', 'Kisumu', 'Bungoma', 'Meru', 'Kakamega', 'Nyeri'];

/** Writes a farmers CSV of `rows` lines (about 32 bytes a line, as the 25 MB / 780k-row file of issue 11). */
async function writeFile(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file);
  out.write(HEADER + '\n');
  for (let start = 0; start < rows; start += 10_000) {
    let chunk = '';
    for (let i = start; i < Math.min(rows, start + 10_000); i++) {
      chunk += `07${String(10_000_000 + i).padStart(8, '0')},${i % 2 ? 'male' : 'female'},${1950 + (i % 60)},${REGIONS[i % 6]},${i % 3 ? 'maize' : 'maize;beans'},${(i % 9) + 0.5},${i % 4 ? 'sw' : 'en'}\n`;
    }
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** The floor: the same rows parsed by the same streaming parser and written by bare INSERTs, same batch size (a unit of work each). */
async function bareInsert(file: string, dbPath: string, batch: number): Promise<{ rows: number; seconds: number }> {
  const db = openDb({ path: dbPath });
  migrateDb(db);
  const units = new GroupCommit(db);
  const store = new BareImportStore(sqliteDatabase(db));
  const t0 = performance.now();
  let rows = 0;
  let pending: string[][] = [];
  const flush = async () => {
    const now = NOW;
    const lines = pending;
    pending = [];
    await units.unit(async (tx) => {
      for (const r of lines) await store.insert(`+254${r[0]!.slice(1)}`, r[6], r[3], JSON.stringify({ gender: r[1], birthYear: Number(r[2]), crops: r[4]!.split(';'), farmSize: Number(r[5]) }), now, tx);
    });
    rows += lines.length;
  };
  let first = true;
  for await (const rec of createReadStream(file).pipe(parse({ relax_column_count: true })) as AsyncIterable<string[]>) {
    if (first) {
      first = false;
      continue;
    }
    pending.push(rec);
    if (pending.length >= batch) await flush();
  }
  await flush();
  const seconds = (performance.now() - t0) / 1000;
  db.$client.close();
  return { rows, seconds };
}

function upload(url: string, file: string, bytes: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/csv', 'content-length': bytes } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    createReadStream(file).pipe(req);
  });
}

async function gatewayRssMiB(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /^vasgw_process_resident_memory_bytes (\d+)/m.exec(text);
  return m ? Number(m[1]) / 2 ** 20 : 0;
}

export const importBench: Bench = {
  name: 'import',
  description: 'subscriber CSV import of the issue-11 file (780k rows, ~25 MB) as a job over HTTP, /healthz polled meanwhile, vs bare INSERTs',
  async run(ctx) {
    const rows = ctx.quick ? 100_000 : 780_000;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vasgw-bench-import-'));
    try {
      const file = path.join(dir, 'farmers.csv');
      ctx.progress(`writing a ${rows}-row CSV`);
      await writeFile(file, rows);
      const bytes = statSync(file).size;

      // The baseline first, in this process: its peak RSS is then the bare import's own.
      ctx.progress('baseline: the same rows, streamed and written by bare INSERTs');
      const bare = await bareInsert(file, path.join(dir, 'bare.db'), 1000);
      const barePeakRss = process.resourceUsage().maxRSS / 1024;

      ctx.progress('gateway: POST /api/v1/subscribers/import as a job');
      const target = await startTarget('gateway');
      const rssBefore = await gatewayRssMiB(target.url);
      const t0 = performance.now();
      const res = await upload(`${target.url}/api/v1/subscribers/import?async=true`, file, bytes);
      if (res.status !== 202) throw new Error(`import answered ${res.status}: ${res.body.slice(0, 300)}`);
      const uploadSeconds = (performance.now() - t0) / 1000;
      const id = (JSON.parse(res.body) as { id: string }).id;
      let healthMaxMs = 0;
      let healthPolls = 0;
      let job: { status: string; rowsDone: number; created: number; rejected: number; error?: { message: string } };
      for (;;) {
        const h0 = performance.now();
        const h = await fetch(`${target.url}/healthz`);
        healthMaxMs = Math.max(healthMaxMs, performance.now() - h0);
        healthPolls++;
        if (h.status !== 200) throw new Error(`/healthz answered ${h.status} during the import`);
        job = (await (await fetch(`${target.url}/api/v1/subscribers/import/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as typeof job;
        if (job.status !== 'running') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const seconds = (performance.now() - t0) / 1000;
      const peakRss = await target.stop();
      if (job.status !== 'done' || job.created !== rows) throw new Error(`import ended ${job.status}, created ${job.created} of ${rows}: ${job.error?.message ?? ''}`);

      const results: BenchResult[] = [
        {
          name: `import.rows_per_second_${rows / 1000}k`,
          value: rows / seconds,
          unit: 'rows/s',
          baseline: { name: 'bare streamed INSERTs', value: bare.rows / bare.seconds },
          ratio: rows / seconds / (bare.rows / bare.seconds),
          extra: { rows, bytes, seconds, uploadSeconds, bareSeconds: bare.seconds },
        },
        {
          name: 'import.gateway_peak_rss',
          value: peakRss,
          unit: 'MiB',
          baseline: { name: 'bare import process peak RSS', value: barePeakRss },
          ratio: peakRss / barePeakRss,
          target: 'flat in the file size (issue 11: 867 MiB for 780k rows before)',
          extra: { gatewayRssBeforeImportMiB: rssBefore },
        },
        { name: 'import.healthz_slowest_answer_during_import', value: healthMaxMs, unit: 'ms', extra: { polls: healthPolls, before: 'issue 11: /healthz blocked 4.6 s' } },
      ];
      return results;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
