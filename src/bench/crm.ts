import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { loadConfig } from '../config';
import { CrmState } from '../crm/crm-state';
import { migrateDb, openDb } from '../db/client';
import { DAY, ManualClock } from '../lib/clock';
import { silentLogger } from '../lib/logger';
import { REPORTS } from '../reports';
import { buildGateway } from '../server';
import type { Bench, BenchResult } from './types';

const VASGW = fileURLToPath(new URL('../vasgw.mjs', import.meta.url));
const TOKEN = 'bench-token-0123456789';
// A daily and a weekly service, as operators sell them; the generator subscribes a quarter of the base.
const SERVICES = [
  { id: 'crop-daily', name: 'Crop advice (daily)', price: 5, currency: 'KES', period: 'daily', shortCode: '20123', keywords: ['SHAMBA'] },
  { id: 'crop-weekly', name: 'Crop advice (weekly)', price: 20, currency: 'KES', period: 'weekly', shortCode: '20123', keywords: ['WIKI'] },
];

/** Runs `vasgw generate ...` in its own process (its memory is not the detector pass's) and returns seconds and its summary line. */
function generate(args: string[]): Promise<{ seconds: number; line: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [VASGW, 'generate', ...args, '--quiet'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve({ seconds: (performance.now() - t0) / 1000, line: out.trim() }) : reject(new Error(`vasgw generate exited with ${code}: ${out}`))));
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * CRM at scale: a synthetic population (1 million subscribers, ~10 million usage events; quick: 100k /
 * ~1M), one full detector pass over all of it, an incremental pass after one more day of events, and the
 * latency of every report through HTTP. Baseline: one bare scan of the same usage log in SQL.
 */
export const crmBench: Bench = {
  name: 'crm',
  description: 'detector pass over a generated population, incremental pass, report latency',
  async run(ctx) {
    const subscribers = ctx.quick ? 100_000 : 1_000_000;
    const days = 30;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vasgw-crm-bench-'));
    try {
      const dbPath = path.join(dir, 'crm.db');
      const configFile = path.join(dir, 'config.yaml');
      writeFileSync(configFile, stringify({ services: SERVICES, database: { path: dbPath }, logLevel: 'silent', api: { token: TOKEN } }));
      ctx.progress(`generating ${subscribers} subscribers over ${days} days`);
      const gen = await generate(['--subscribers', String(subscribers), '--days', String(days), '--seed', '7', '--db', dbPath, '--config', configFile]);
      ctx.progress(gen.line);

      const config = loadConfig({ file: configFile, env: {} });
      const probe = openDb({ path: dbPath });
      migrateDb(probe);
      const params = new CrmState(probe).get<{ startAt: number; days: number }>('generator', { startAt: 0, days });
      const events = (probe.$client.prepare('SELECT max(id) AS n FROM usage_events').get() as { n: number }).n;
      // The floor: one bare pass over the same log, reading the columns a detector needs.
      const b0 = performance.now();
      let rows = 0;
      for (const _r of probe.$client.prepare('SELECT id, at, subscriber_id, type, session_id, node_id FROM usage_events').raw().iterate()) rows++;
      const baseline = (performance.now() - b0) / 1000;
      probe.$client.close();

      const end = params.startAt + params.days * DAY;
      const clock = new ManualClock(end);
      let gw = await buildGateway({ config, clock, log: silentLogger });
      ctx.progress(`full pass over ${events} events`);
      const cpu0 = process.cpuUsage();
      const full = gw.core.crm.runPass(end);
      const cpu = process.cpuUsage(cpu0);
      const rssAfterFull = process.memoryUsage().rss / 2 ** 20;

      const latencies: Record<string, number> = {};
      const sizes: Record<string, number> = {};
      for (const name of Object.keys(REPORTS)) {
        const times: number[] = [];
        for (let i = 0; i < 5; i++) {
          const t0 = performance.now();
          const r = await gw.app.inject({ method: 'GET', url: `/api/v1/reports/${name}`, headers: { authorization: `Bearer ${TOKEN}` } });
          times.push(performance.now() - t0);
          if (r.statusCode !== 200) throw new Error(`report ${name} answered ${r.statusCode}: ${r.body.slice(0, 200)}`);
          sizes[name] = r.body.length;
        }
        latencies[name] = median(times);
      }
      await gw.stop();

      ctx.progress('one more day of events');
      const more = await generate(['--append-days', '1', '--db', dbPath, '--config', configFile]);
      ctx.progress(more.line);
      clock.set(end + DAY);
      gw = await buildGateway({ config, clock, log: silentLogger });
      const inc = gw.core.crm.runPass(end + DAY);
      await gw.stop();

      const results: BenchResult[] = [
        { name: 'crm.generate_seconds', value: gen.seconds, unit: 's', extra: { subscribers, days, events, summary: gen.line } },
        {
          name: 'crm.full_pass_seconds',
          value: full.durationMs / 1000,
          unit: 's',
          baseline: { name: 'bare SQL scan of usage_events', value: baseline },
          ratio: full.durationMs / 1000 / baseline,
          target: ctx.quick ? 'quick mode (100k subscribers); the target is for 1M: under 60 s' : 'under 60 s and under 1 GiB RSS',
          extra: { events: full.events, sessions: full.sessions, findings: full.findings, interventions: full.interventions, phasesMs: full.phasesMs, cpuSeconds: (cpu.user + cpu.system) / 1e6, rowsScanned: rows },
        },
        { name: 'crm.full_pass_events_per_second', value: full.events / (full.durationMs / 1000), unit: 'events/s', baseline: { name: 'bare SQL scan', value: rows / baseline }, ratio: full.events / (full.durationMs / 1000) / (rows / baseline) },
        { name: 'crm.rss_after_full_pass', value: rssAfterFull, unit: 'MiB', target: 'under 1024 MiB' },
        {
          name: 'crm.incremental_pass_seconds',
          value: inc.durationMs / 1000,
          unit: 's',
          extra: { events: inc.events, sessions: inc.sessions, findings: inc.findings, interventions: inc.interventions, phasesMs: inc.phasesMs, refit: inc.refit, appended: more.line },
        },
        ...Object.entries(latencies).map(([name, ms]) => ({ name: `crm.report.${name}_ms`, value: ms, unit: 'ms', target: 'well under 1000 ms', extra: { bytes: sizes[name] } })),
      ];
      return results;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
