import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrateDb, openDb, tx } from '../db/client';
import { createMetrics } from '../lib/metrics';
import { UsageLog, type UsageEvent } from '../usage/usage-log';
import { startTarget } from './http-target';
import { assertClean, bareBaseline, formWalk, load } from './load';
import type { Bench, BenchResult } from './types';

/**
 * One subscriber's walk through the demo flow as Africa's Talking sends it: a new session id and a
 * new number per walk, `text` growing with each input (language, crop advice, maize, planting).
 */
function ussdWalk() {
  return ['', '1', '1*1', '1*1*1', '1*1*1*1'].map((text) => (n: number, msisdn: string, tag: string) => ({
    sessionId: `bench-${tag}-${n}`,
    serviceCode: '*384*1#',
    phoneNumber: msisdn,
    networkCode: '63902',
    text,
  }));
}

/**
 * Usage-log ingest: events appended in time order, in transactions of 1,000, from a population of
 * 100,000 subscribers (so the per-subscriber index takes scattered writes, as in production).
 */
function usageIngest(count: number): number {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vasgw-bench-usage-'));
  const db = openDb({ path: path.join(dir, 'usage.db') });
  migrateDb(db);
  const log = new UsageLog(db, createMetrics({ processMetrics: false }));
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
    tx(db, () => log.record(batch));
  }
  const s = (performance.now() - t0) / 1000;
  db.$client.close();
  return count / s;
}

export const ussdBench: Bench = {
  name: 'ussd',
  description: 'USSD hops through /ussd/africastalking (session, engine, usage log) vs bare Fastify; usage-log ingest',
  async run(ctx) {
    const seconds = ctx.quick ? 3 : 10;
    const connections = 32;
    ctx.progress('bare Fastify baseline');
    const base = await bareBaseline({ seconds, connections, body: 'sessionId=x&text=1' });
    ctx.progress('gateway');
    const gw = await startTarget('gateway');
    const r = await load({ url: gw.url, seconds, connections, requests: formWalk('/ussd/africastalking', ussdWalk()) });
    const gwRss = await gw.stop();
    assertClean('ussd', r);
    ctx.progress('usage-log ingest');
    const ingest = usageIngest(ctx.quick ? 100_000 : 1_000_000);
    const results: BenchResult[] = [
      { name: 'ussd.hops_per_second', value: r.rps, unit: 'req/s', baseline: { name: 'bare Fastify', value: base.rps }, ratio: r.rps / base.rps, target: 'ratio >= 0.4' },
      { name: 'ussd.latency_p50', value: r.p50, unit: 'ms', baseline: { name: 'bare Fastify', value: base.p50 }, ratio: r.p50 / Math.max(base.p50, 0.001) },
      { name: 'ussd.latency_p99', value: r.p99, unit: 'ms', baseline: { name: 'bare Fastify', value: base.p99 }, ratio: r.p99 / Math.max(base.p99, 0.001) },
      { name: 'ussd.hops_total', value: r.total, unit: 'hops', extra: { connections, seconds } },
      { name: 'ussd.gateway_peak_rss', value: gwRss, unit: 'MiB' },
      { name: 'usage_log.ingest', value: ingest, unit: 'events/s', extra: { batch: 1000 } },
    ];
    return results;
  },
};
