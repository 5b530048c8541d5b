import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { BatchWriter } from '../db/batch-writer';
import { migrateDb, openDb } from '../db/client';
import { GroupCommit } from '../db/group-commit';
import { subscribers } from '../db/schema';
import { sqliteDatabase } from '../db/sqlite-database';
import { name } from '../db/statement';
import { createMetrics } from '../lib/metrics';
import { UsageLog, type UsageEvent } from '../usage/usage-log';
import { startTarget } from './http-target';
import { assertClean, bareBaseline, cpuPerRequestUs, formWalk, load, mostlyReturning, newCallers } from './load';
import type { Bench, BenchResult } from './types';

/**
 * One session of five hops through the demo flow as Africa's Talking sends it: a new session id per
 * walk, `text` growing with each input. A new caller picks a language, then crop advice, maize,
 * planting; a returning one (language known) goes crop advice, maize, planting, then home, and leaves
 * the session there (the next dial ends it as dropped, as a hang-up does).
 */
export function ussdWalk() {
  const known = ['', '1', '1*1', '1*1*1', '1*1*1*00'];
  const first = ['', '1', '1*1', '1*1*1', '1*1*1*1'];
  return first.map((_, i) => (n: number, msisdn: string, tag: string, returning: boolean) => ({
    sessionId: `bench-${tag}-${n}`,
    serviceCode: '*384*1#',
    phoneNumber: msisdn,
    networkCode: '63902',
    text: (returning ? known : first)[i]!,
  }));
}

/** Worst case: every hop is the first of a new session of a caller never seen before. */
export function firstContactHop() {
  return [(n: number, msisdn: string, tag: string) => ({ sessionId: `first-${tag}-${n}`, serviceCode: '*384*1#', phoneNumber: msisdn, networkCode: '63902', text: '' })];
}

/**
 * Usage-log ingest: events appended in time order, in units of work of 1,000, from a population of
 * 100,000 subscribers (so the per-subscriber index takes scattered writes, as in production).
 */
async function usageIngest(count: number): Promise<number> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vasgw-bench-usage-'));
  const db = openDb({ path: path.join(dir, 'usage.db') });
  migrateDb(db);
  const database = sqliteDatabase(db);
  const units = new GroupCommit(db);
  const log = new UsageLog(createMetrics({ processMetrics: false }), database);
  const t = subscribers;
  const population = new BatchWriter(database, sql`INSERT INTO ${t} (${name(t.msisdn)}, ${name(t.firstSeenAt)}, ${name(t.updatedAt)}) VALUES`, 3);
  await units.unit(async (tx) => {
    for (let i = 1; i <= 100_000; i++) await population.add([`+2547${String(i).padStart(8, '0')}`, 1_763_000_000_000, 1_763_000_000_000], tx);
    await population.flush(tx);
  });
  let seed = 7;
  const nextSubscriber = () => 1 + ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % 100_000);
  const t0 = performance.now();
  let at = 1_763_000_000_000;
  for (let n = 0; n < count; n += 1000) {
    const batch: UsageEvent[] = Array.from({ length: 1000 }, () => ({
      at: at++,
      subscriberId: nextSubscriber(),
      channel: 'ussd',
      type: 'menu',
      sessionId: 'ses_x',
      flowId: 'crop-advice',
      nodeId: 'maize',
      detail: null,
    }));
    await units.unit((tx) => log.recordIn(tx, batch));
  }
  const s = (performance.now() - t0) / 1000;
  db.$client.close();
  return count / s;
}

export const ussdBench: Bench = {
  name: 'ussd',
  description: 'USSD hops through /ussd/africastalking (session, engine, usage log) vs bare Fastify: five-hop sessions of mostly returning callers, and every hop a new session; usage-log ingest',
  async run(ctx) {
    const seconds = ctx.quick ? 3 : 10;
    const connections = 32;
    ctx.progress('bare Fastify baseline');
    const base = await bareBaseline({ seconds, connections, body: 'sessionId=x&text=1' });
    ctx.progress('gateway: sessions of five hops, mostly returning callers');
    let gw = await startTarget('gateway');
    const r = await load({ url: gw.url, seconds, connections, requests: formWalk('/ussd/africastalking', ussdWalk(), mostlyReturning(3000, 10)) });
    const gwRss = await gw.stop();
    const cpuHop = cpuPerRequestUs(gw.cpuSeconds(), r);
    assertClean('ussd', r);
    ctx.progress('gateway: every hop a new session of a new caller');
    gw = await startTarget('gateway');
    const w = await load({ url: gw.url, seconds, connections, requests: formWalk('/ussd/africastalking', firstContactHop(), newCallers) });
    await gw.stop();
    const cpuFirst = cpuPerRequestUs(gw.cpuSeconds(), w);
    assertClean('ussd first contact', w);
    ctx.progress('usage-log ingest');
    const ingest = await usageIngest(ctx.quick ? 100_000 : 1_000_000);
    const results: BenchResult[] = [
      {
        name: 'ussd.hops_per_second',
        value: r.rps,
        unit: 'req/s',
        baseline: { name: 'bare Fastify', value: base.rps },
        ratio: r.rps / base.rps,
        target: 'ratio >= 0.5',
        extra: { sessionHops: 5, callers: '9 in 10 returning (pool of 3,000), 1 in 10 new' },
      },
      { name: 'ussd.latency_p50', value: r.p50, unit: 'ms', baseline: { name: 'bare Fastify', value: base.p50 }, ratio: r.p50 / Math.max(base.p50, 0.001) },
      { name: 'ussd.latency_p99', value: r.p99, unit: 'ms', baseline: { name: 'bare Fastify', value: base.p99 }, ratio: r.p99 / Math.max(base.p99, 0.001) },
      { name: 'ussd.hops_total', value: r.total, unit: 'hops', extra: { connections, seconds } },
      {
        name: 'ussd.first_contact_hops_per_second',
        value: w.rps,
        unit: 'req/s',
        baseline: { name: 'bare Fastify', value: base.rps },
        ratio: w.rps / base.rps,
        target: 'ratio >= 0.3',
        extra: { sessionHops: 1, callers: 'every hop a new session of a new subscriber' },
      },
      {
        name: 'ussd.cpu_per_hop',
        value: cpuHop,
        unit: 'µs',
        baseline: { name: 'bare Fastify CPU per request', value: base.cpuPerRequestUs },
        ratio: base.cpuPerRequestUs / Math.max(cpuHop, 0.001),
        extra: { note: 'server CPU per answered request, warm-up included; the ratio is bare/gateway, steadier than req/s on a shared machine' },
      },
      {
        name: 'ussd.first_contact_cpu_per_hop',
        value: cpuFirst,
        unit: 'µs',
        baseline: { name: 'bare Fastify CPU per request', value: base.cpuPerRequestUs },
        ratio: base.cpuPerRequestUs / Math.max(cpuFirst, 0.001),
      },
      { name: 'ussd.first_contact_latency_p99', value: w.p99, unit: 'ms', baseline: { name: 'bare Fastify', value: base.p99 }, ratio: w.p99 / Math.max(base.p99, 0.001) },
      { name: 'ussd.gateway_peak_rss', value: gwRss, unit: 'MiB' },
      { name: 'usage_log.ingest', value: ingest, unit: 'events/s', extra: { batch: 1000 } },
    ];
    return results;
  },
};
