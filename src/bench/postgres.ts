import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import os from 'node:os';
import { loadConfig } from '../config';
import { CrmStateStore } from '../crm/crm-state-store';
import type { PassSummary } from '../crm/crm-service';
import { migrateDb, openDb } from '../db/client';
import { copySqliteToPostgres, openCopySource } from '../db/postgres/copy';
import { createDatabase, dropDatabase, givenPostgresServer, postgresServerBinDir, startThrowawayCluster, type PostgresServer } from '../db/postgres/throwaway-cluster';
import { DAY, ManualClock } from '../lib/clock';
import { silentLogger } from '../lib/logger';
import { OutboxRepo } from '../messaging/outbox-repo';
import { buildGateway, type Gateway } from '../server';
import { benchWorkspace, generate } from './crm';
import { startTarget, TARGET_DATABASE_URL, type Target } from './http-target';
import { assertClean, bareBaseline, cpuPerRequestUs, formWalk, load, mostlyReturning, newCallers, spreadWalk, type LoadResult, type WalkStep } from './load';
import { rawLoop, startSmsc, TEXT, WINDOW } from './smpp';
import type { Bench, BenchContext, BenchResult } from './types';
import { firstContactHop, ussdWalk } from './ussd';

/** A PostgreSQL server of the bench's choosing instead of a throwaway cluster (a role that may create databases). */
const SERVER_URL = 'VASGW_BENCH_POSTGRES_URL';

/**
 * The throwaway cluster's settings: durable as a production server (fsync, full page writes) except that
 * a commit does not wait for its WAL flush, which is what SQLite's synchronous NORMAL in WAL mode gives
 * the SQLite figures; room for two gateways' pools and the bench's own; WAL big enough that the CRM copy
 * does not checkpoint every few seconds.
 */
const BENCH_SETTINGS = { synchronous_commit: 'off', max_connections: 60, shared_buffers: '256MB', max_wal_size: '2GB' };

/**
 * The CRM population. The issue asks for 1M subscribers (10M events); on the 2-core bench machine that
 * part alone took 25 minutes (generation 138 s, copy 340 s, the pass on PostgreSQL 898 s, on SQLite
 * 104 s; 200,000 took 4), so full mode measures 200,000 and says so.
 * VASGW_BENCH_PG_CRM_SUBSCRIBERS=1000000 measures the issue's size.
 */
const ISSUE_SUBSCRIBERS = 1_000_000;
const FULL_SUBSCRIBERS = 200_000;
const QUICK_SUBSCRIBERS = 50_000;
const CRM_SIZE = 'VASGW_BENCH_PG_CRM_SUBSCRIBERS';
const CHUNK = 200;
/**
 * Messages per outbox run: the smpp bench sends 20,000, but the PostgreSQL outbox moves a few hundred a
 * second here, so 5,000 already take tens of seconds a run.
 */
const OUTBOX_MESSAGES = 5000;

const loadAvg = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

/** The server the bench creates its databases on: the one named by VASGW_BENCH_POSTGRES_URL, else a throwaway cluster; null with the reason when neither is possible. */
async function benchServer(): Promise<{ server: PostgresServer; where: string } | { unavailable: string }> {
  const url = process.env[SERVER_URL];
  if (url) return { server: givenPostgresServer(url), where: `the server of ${SERVER_URL}` };
  const bin = postgresServerBinDir();
  if (!bin) return { unavailable: `no PostgreSQL figures: ${SERVER_URL} is not set and no PostgreSQL server binaries were found (install Debian's postgresql package, or set PG_BINDIR)` };
  return { server: await startThrowawayCluster(bin, BENCH_SETTINGS), where: `a throwaway cluster from ${bin} (${Object.entries(BENCH_SETTINGS).map(([k, v]) => `${k}=${v}`).join(', ')})` };
}

/** Fresh databases on the bench's server, each dropped by `dropAll` (also after a failure). */
function databases(server: PostgresServer) {
  const made: string[] = [];
  const run = randomBytes(4).toString('hex');
  return {
    async fresh(label: string): Promise<string> {
      const name = `vasgw_bench_${run}_${label}`;
      made.push(name);
      return createDatabase(server, name);
    },
    async dropAll(): Promise<void> {
      for (const name of made.splice(0)) await dropDatabase(server, name).catch(() => {});
    },
  };
}

/** Gateway processes serving on the database at `url` (`vasgw bench-target gateway-postgres`), started one after the other (the first migrates). */
async function postgresGateways(url: string, count: number, smscPort?: number): Promise<Target[]> {
  const started: Target[] = [];
  try {
    for (let i = 0; i < count; i++) started.push(await startTarget('gateway-postgres', smscPort === undefined ? undefined : String(smscPort), { [TARGET_DATABASE_URL]: url }));
  } catch (e) {
    for (const t of started) await t.stop();
    throw e;
  }
  return started;
}

interface HopFigures {
  r: LoadResult;
  cpuUs: number;
}

/** USSD load on the given gateways: one URL per gateway, and with several, every walk's hops spread over them. */
async function ussdOn(targets: Target[], seconds: number, steps: WalkStep[], shape: 'walk' | 'first'): Promise<HopFigures> {
  const connections = 32;
  const callers = shape === 'walk' ? mostlyReturning(3000, 10) : newCallers;
  const requests =
    targets.length === 1 ? formWalk('/ussd/africastalking', steps, callers) : spreadWalk('/ussd/africastalking', steps, callers, targets.map((t) => Number(new URL(t.url).port)));
  let r: LoadResult;
  try {
    r = await load({ url: targets.length === 1 ? targets[0]!.url : targets.map((t) => t.url), seconds, connections, requests });
  } finally {
    for (const t of targets) await t.stop();
  }
  assertClean(`postgres ussd ${shape} on ${targets.length} gateway(s)`, r);
  const cpu = targets.reduce((s, t) => s + t.cpuSeconds(), 0);
  return { r, cpuUs: cpuPerRequestUs(cpu, r) };
}

async function ussdFigures(ctx: BenchContext, dbs: ReturnType<typeof databases>): Promise<BenchResult[]> {
  const seconds = ctx.quick ? 3 : 10;
  ctx.progress('bare Fastify baseline');
  const base = await bareBaseline({ seconds, connections: 32, body: 'sessionId=x&text=1' });
  const walk = ussdWalk();
  const first = firstContactHop();
  ctx.progress('SQLite gateway: five-hop sessions, then every hop a new caller (reference)');
  const sqliteWalk = await ussdOn([await startTarget('gateway')], seconds, walk, 'walk');
  const sqliteFirst = await ussdOn([await startTarget('gateway')], seconds, first, 'first');
  ctx.progress('one gateway on PostgreSQL: five-hop sessions, then every hop a new caller');
  const oneWalk = await ussdOn(await postgresGateways(await dbs.fresh('ussd1w'), 1), seconds, walk, 'walk');
  const oneFirst = await ussdOn(await postgresGateways(await dbs.fresh('ussd1f'), 1), seconds, first, 'first');
  ctx.progress('two gateways on one PostgreSQL, each hop of a session on the other one');
  const twoWalk = await ussdOn(await postgresGateways(await dbs.fresh('ussd2w'), 2), seconds, walk, 'walk');
  const twoFirst = await ussdOn(await postgresGateways(await dbs.fresh('ussd2f'), 2), seconds, first, 'first');
  await dbs.dropAll();
  const bare = { name: 'bare Fastify', value: base.rps };
  const hops = (name: string, x: HopFigures, baseline: { name: string; value: number }, extra: Record<string, unknown>): BenchResult => ({
    name,
    value: x.r.rps,
    unit: 'req/s',
    baseline,
    ratio: x.r.rps / baseline.value,
    extra: { ...extra, p50: x.r.p50, p99: x.r.p99, gatewayCpuPerHopUs: Math.round(x.cpuUs), connections: 32, seconds },
  });
  const walkShape = { sessionHops: 5, callers: '9 in 10 returning (pool of 3,000), 1 in 10 new' };
  const firstShape = { sessionHops: 1, callers: 'every hop a new session of a new subscriber' };
  return [
    hops('postgres.ussd.hops_per_second', oneWalk, bare, { ...walkShape, sqliteGateway: Math.round(sqliteWalk.r.rps), ratioToSqlite: oneWalk.r.rps / sqliteWalk.r.rps }),
    hops('postgres.ussd.first_contact_hops_per_second', oneFirst, bare, { ...firstShape, sqliteGateway: Math.round(sqliteFirst.r.rps), ratioToSqlite: oneFirst.r.rps / sqliteFirst.r.rps }),
    hops('postgres.ussd.sqlite_hops_per_second', sqliteWalk, bare, { ...walkShape, note: 'the SQLite gateway, same run: the reference for the PostgreSQL figures' }),
    hops('postgres.ussd.sqlite_first_contact_hops_per_second', sqliteFirst, bare, firstShape),
    hops('postgres.ussd.two_gateways_hops_per_second', twoWalk, { name: 'one gateway on PostgreSQL', value: oneWalk.r.rps }, { ...walkShape, spread: 'each hop to the other gateway', bareFastify: Math.round(base.rps) }),
    hops('postgres.ussd.two_gateways_first_contact_hops_per_second', twoFirst, { name: 'one gateway on PostgreSQL', value: oneFirst.r.rps }, { ...firstShape, spread: 'alternate requests', bareFastify: Math.round(base.rps) }),
    {
      name: 'postgres.ussd.cpu_per_hop',
      value: oneWalk.cpuUs,
      unit: 'µs',
      baseline: { name: 'SQLite gateway CPU per hop', value: sqliteWalk.cpuUs },
      ratio: sqliteWalk.cpuUs / Math.max(oneWalk.cpuUs, 0.001),
      extra: { note: "the gateway process's CPU per answered hop, PostgreSQL's own CPU not included; ratio SQLite/PostgreSQL", bareFastifyUs: Math.round(base.cpuPerRequestUs), twoGatewaysUs: Math.round(twoWalk.cpuUs) },
    },
  ];
}

/**
 * `count` messages enqueued in this process (as a campaign or the API would, CHUNK a unit of work) into
 * the outbox the gateway processes send from; timed from the first enqueue until the outbox holds every
 * one as `sent` (its submit_sm_resp recorded). The senders learn of new rows by polling (50 ms).
 */
async function sharedOutbox(enqueuer: Gateway, count: number): Promise<{ rate: number; enqueueSeconds: number }> {
  const outbox = new OutboxRepo(enqueuer.core.database);
  const t0 = performance.now();
  for (let i = 0; i < count; i += CHUNK) {
    const n = Math.min(CHUNK, count - i);
    const rs = await enqueuer.core.messaging.enqueueMany(Array.from({ length: n }, (_, k) => ({ to: `+2547${30_000_000 + i + k}`, text: TEXT, kind: 'promotional' as const, source: 'bench' })));
    const refused = rs.find((r) => 'error' in r);
    if (refused && 'error' in refused) throw new Error(`enqueue refused: ${refused.error.message}`);
  }
  const enqueueSeconds = (performance.now() - t0) / 1000;
  const deadline = t0 + 300_000;
  for (;;) {
    const d = await outbox.depth();
    if (d.queued === 0 && d.sent >= count) break;
    if (performance.now() > deadline) throw new Error(`the gateways sent ${d.sent} of ${count} messages in 300 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { rate: count / ((performance.now() - t0) / 1000), enqueueSeconds };
}

/** MT/s through one database's outbox sent by `senders` gateway processes bound to the SMSC. */
async function outboxRound(dbs: ReturnType<typeof databases>, smscPort: number, senders: number, count: number): Promise<{ rate: number; enqueueSeconds: number }> {
  const url = await dbs.fresh(`mt${senders}_${randomBytes(2).toString('hex')}`);
  const targets = await postgresGateways(url, senders, smscPort);
  const enqueuer = await buildGateway({ config: loadConfig({ env: {}, overrides: { logLevel: 'silent', database: { url }, messaging: { quietHours: null } } }), log: silentLogger });
  try {
    return await sharedOutbox(enqueuer, count);
  } finally {
    await enqueuer.stop();
    for (const t of targets) await t.stop();
  }
}

async function outboxFigures(ctx: BenchContext, dbs: ReturnType<typeof databases>): Promise<BenchResult[]> {
  const count = ctx.quick ? 1000 : OUTBOX_MESSAGES;
  const rounds = ctx.quick ? 1 : 2;
  const smsc = await startSmsc();
  try {
    ctx.progress('outbox: warm-up');
    await rawLoop(smsc.port, Math.min(2000, count));
    const raw: number[] = [];
    const one: number[] = [];
    const two: number[] = [];
    const enqueueSeconds: number[] = [];
    // Rounds alternate the three, and the best of each is compared (as the smpp bench does).
    for (let r = 0; r < rounds; r++) {
      ctx.progress(`outbox round ${r + 1}/${rounds}: raw smpp client loop, one gateway, two gateways on one PostgreSQL`);
      raw.push(await rawLoop(smsc.port, count));
      for (const [senders, into] of [[1, one], [2, two]] as const) {
        const x = await outboxRound(dbs, smsc.port, senders, count);
        into.push(x.rate);
        enqueueSeconds.push(x.enqueueSeconds);
      }
    }
    await dbs.dropAll();
    const best = (xs: number[]) => Math.max(...xs);
    const samples = (xs: number[]) => xs.map((x) => Math.round(x));
    const rawBest = { name: 'raw smpp client loop', value: best(raw) };
    return [
      {
        name: 'postgres.outbox_messages_per_second',
        value: best(one),
        unit: 'msg/s',
        baseline: rawBest,
        ratio: best(one) / rawBest.value,
        extra: { messages: count, window: WINDOW, rounds, samples: samples(one), baselineSamples: samples(raw), enqueuedBy: 'the bench process, 200 a unit of work', sentBy: 'one gateway process', enqueueSeconds: enqueueSeconds.map((x) => Number(x.toFixed(2))), note: 'timed from the first enqueue to the last message sent; the enqueue alone is enqueueSeconds (one and two gateways in turn)' },
      },
      {
        name: 'postgres.outbox_two_gateways_messages_per_second',
        value: best(two),
        unit: 'msg/s',
        baseline: { name: 'one gateway on PostgreSQL', value: best(one) },
        ratio: best(two) / best(one),
        extra: { messages: count, window: `${WINDOW} per gateway`, rounds, samples: samples(two), ratioToRaw: best(two) / rawBest.value },
      },
    ];
  } finally {
    smsc.stop();
  }
}

/** One full CRM pass as of `end` on the database `config` names (the gateway's own construction: storage, core). */
async function crmPass(configFile: string, end: number, url?: string): Promise<{ summary: PassSummary; cpuSeconds: number }> {
  const config = loadConfig({ file: configFile, env: {}, ...(url ? { overrides: { database: { url } } } : {}) });
  const gw = await buildGateway({ config, clock: new ManualClock(end), log: silentLogger });
  try {
    const cpu0 = process.cpuUsage();
    const summary = await gw.core.crm.runPass(end);
    const cpu = process.cpuUsage(cpu0);
    return { summary, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
  } finally {
    await gw.stop();
  }
}

async function crmFigures(ctx: BenchContext, dbs: ReturnType<typeof databases>): Promise<BenchResult[]> {
  const asked = Number(process.env[CRM_SIZE] ?? '');
  const subscribers = Number.isInteger(asked) && asked > 0 ? asked : ctx.quick ? QUICK_SUBSCRIBERS : FULL_SUBSCRIBERS;
  const size = subscribers < ISSUE_SUBSCRIBERS && !ctx.quick ? `${subscribers} subscribers, not the issue's 1M: at 1M this part took 25 minutes on the 2-core bench machine (${CRM_SIZE}=1000000 measures it)` : `${subscribers} subscribers`;
  const days = 30;
  const { dir, dbPath, configFile } = benchWorkspace('vasgw-pg-crm-bench-');
  try {
    ctx.progress(`CRM: generating ${size} over ${days} days into SQLite`);
    const gen = await generate(['--subscribers', String(subscribers), '--days', String(days), '--seed', '7', '--db', dbPath, '--config', configFile]);
    ctx.progress(gen.line);
    const probe = openDb({ path: dbPath });
    migrateDb(probe);
    const params = new CrmStateStore(probe).get<{ startAt: number; days: number }>('generator', { startAt: 0, days });
    probe.$client.close();
    const end = params.startAt + params.days * DAY;

    ctx.progress('CRM: copying the SQLite file to PostgreSQL (vasgw db copy)');
    const url = await dbs.fresh('crm');
    const source = openCopySource(dbPath);
    const c0 = performance.now();
    let copied: Awaited<ReturnType<typeof copySqliteToPostgres>>;
    try {
      copied = await copySqliteToPostgres(source, url);
    } finally {
      source.$client.close();
    }
    const copySeconds = (performance.now() - c0) / 1000;

    ctx.progress(`CRM: full pass on PostgreSQL (${copied.totalRows} rows copied in ${copySeconds.toFixed(1)} s)`);
    const onPg = await crmPass(configFile, end, url);
    await dbs.dropAll();
    ctx.progress(`CRM: the same pass on the SQLite file (${(onPg.summary.durationMs / 1000).toFixed(1)} s on PostgreSQL)`);
    const onSqlite = await crmPass(configFile, end);
    const pgS = onPg.summary.durationMs / 1000;
    const sqS = onSqlite.summary.durationMs / 1000;
    // The size is in the names: the table shows at a glance which population the figures are for.
    const at = subscribers % 1000 === 0 ? `${subscribers / 1000}k` : String(subscribers);
    return [
      {
        name: `postgres.crm.full_pass_seconds_${at}`,
        value: pgS,
        unit: 's',
        baseline: { name: 'the same pass on the SQLite file', value: sqS },
        ratio: pgS / sqS,
        extra: { subscribers, size, days, events: onPg.summary.events, sessions: onPg.summary.sessions, findings: onPg.summary.findings, phasesMs: onPg.summary.phasesMs, cpuSeconds: onPg.cpuSeconds, sqlitePhasesMs: onSqlite.summary.phasesMs, sqliteCpuSeconds: onSqlite.cpuSeconds, sqliteEvents: onSqlite.summary.events },
      },
      { name: `postgres.crm.full_pass_events_per_second_${at}`, value: onPg.summary.events / pgS, unit: 'events/s', baseline: { name: 'SQLite pass', value: onSqlite.summary.events / sqS }, ratio: onPg.summary.events / pgS / (onSqlite.summary.events / sqS) },
      { name: `postgres.crm.copy_seconds_${at}`, value: copySeconds, unit: 's', extra: { rows: copied.totalRows, rowsPerSecond: Math.round(copied.totalRows / copySeconds), generateSeconds: gen.seconds, summary: gen.line } },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The gateway on PostgreSQL (issue 12): USSD hops/s with one and two gateway processes on one database
 * (against bare Fastify, and the SQLite gateway, in the same run), MT/s through the shared outbox sent by
 * one and two processes (against the raw smpp client loop), and the CRM pass over a copied population
 * (against the same pass on the SQLite file). Runs on a throwaway cluster unless VASGW_BENCH_POSTGRES_URL
 * names a server; with neither, says so and reports nothing.
 */
export const postgresBench: Bench = {
  name: 'postgres',
  description: 'the gateway on PostgreSQL: USSD hops/s with one and two gateway processes, MT/s through the shared outbox, the CRM pass copied from SQLite (200k subscribers unless VASGW_BENCH_PG_CRM_SUBSCRIBERS; quick 50k)',
  async run(ctx) {
    const got = await benchServer();
    if ('unavailable' in got) {
      ctx.progress(got.unavailable);
      return [];
    }
    const dbs = databases(got.server);
    const loadBefore = loadAvg();
    ctx.progress(`on ${got.where}; load average ${loadBefore}`);
    try {
      const results = [...(await ussdFigures(ctx, dbs)), ...(await outboxFigures(ctx, dbs)), ...(await crmFigures(ctx, dbs))];
      const loadAfter = loadAvg();
      ctx.progress(`load average before ${loadBefore}, after ${loadAfter}`);
      // The machine is shared: the load around the run says how far its figures can be taken.
      results.push(
        { name: 'postgres.load_average_before', value: Number(loadBefore.split(' ')[0]), unit: 'load (1 min)', extra: { averages: loadBefore, cpus: os.cpus().length } },
        { name: 'postgres.load_average_after', value: Number(loadAfter.split(' ')[0]), unit: 'load (1 min)', extra: { averages: loadAfter, cpus: os.cpus().length } },
      );
      return results;
    } finally {
      await dbs.dropAll();
      await got.server.stop();
    }
  },
};
