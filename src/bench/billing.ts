import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Request } from 'autocannon';
import { loadConfig } from '../config';
import { silentLogger } from '../lib/logger';
import { buildGateway } from '../server';
import { startTarget } from './http-target';
import { assertClean, bareBaseline, load } from './load';
import type { Bench, BenchResult } from './types';

const DAY = 86_400_000;

/**
 * A stream of notifications as a busy platform sends them: `subscribers` numbers, each subscribed
 * once and then renewed day after day, every notification with its own id. `n` counts requests.
 */
function lifeOf(n: number, subscribers: number, t0: number) {
  const pid = process.pid % 1000;
  const i = n % subscribers;
  const round = Math.floor(n / subscribers);
  return {
    msisdn: `2547${String(pid).padStart(3, '0')}${String(i).padStart(5, '0')}`,
    id: `bench-${pid}-${n}`,
    first: round === 0,
    at: t0 + round * DAY,
  };
}

function genericRequests(subscribers: number, t0: number): Request[] {
  let n = 0;
  return [
    {
      method: 'POST',
      path: '/billing/events',
      headers: { 'content-type': 'application/json' },
      setupRequest: (req: Request) => {
        const e = lifeOf(n++, subscribers, t0);
        req.body = JSON.stringify({ eventId: e.id, msisdn: `+${e.msisdn}`, serviceId: 'crop-daily', type: e.first ? 'subscribed' : 'renewed', at: new Date(e.at).toISOString(), amount: 5, currency: 'KES' });
        return req;
      },
    },
  ];
}

const sdpTime = (t: number) => new Date(t).toISOString().replace(/[-:T]/g, '').slice(0, 14);

/** A Huawei-style syncOrderRelation envelope (same shape as test/fixtures/billing/sdp-addition.xml). */
function sdpEnvelope(msisdn: string, txId: string, first: boolean, at: number): string {
  const items: Array<[string, string]> = [
    ['accessCode', '20123'],
    ['chargeMode', '0'],
    ['isFreePeriod', 'false'],
    ['transactionID', txId],
    ['keyword', 'SHAMBA'],
    ['fee', '500'],
    ['nextChargeTime', sdpTime(at + DAY)],
    ['isAutoExtend', '1'],
    ['serviceAvailability', '0'],
    ['TraceUniqueID', `T${txId}`],
    ['rentSuccess', 'true'],
  ];
  return (
    '<?xml version="1.0" encoding="utf-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header/><soapenv:Body>' +
    '<ns1:syncOrderRelation xmlns:ns1="http://www.csapi.org/schema/parlayx/data/sync/v1_0/local">' +
    `<ns1:userID><ID>${msisdn}</ID><type>0</type></ns1:userID><ns1:spID>601520</ns1:spID><ns1:productID>MDSP2000123456</ns1:productID>` +
    `<ns1:serviceID>6015202000123456</ns1:serviceID><ns1:serviceList>6015202000123456</ns1:serviceList><ns1:updateType>${first ? 1 : 3}</ns1:updateType>` +
    `<ns1:updateTime>${sdpTime(at)}</ns1:updateTime><ns1:updateDesc>${first ? 'Addition' : 'Modification'}</ns1:updateDesc>` +
    `<ns1:effectiveTime>${sdpTime(at)}</ns1:effectiveTime><ns1:expiryTime>20361231210000</ns1:expiryTime><ns1:extensionInfo>` +
    items.map(([k, v]) => `<item><key>${k}</key><value>${v}</value></item>`).join('') +
    '</ns1:extensionInfo></ns1:syncOrderRelation></soapenv:Body></soapenv:Envelope>'
  );
}

function sdpRequests(subscribers: number, t0: number): Request[] {
  let n = 0;
  return [
    {
      method: 'POST',
      path: '/billing/sdp',
      headers: { 'content-type': 'text/xml; charset=utf-8' },
      setupRequest: (req: Request) => {
        // Other numbers than the generic run's, so both start from new subscriptions.
        const e = lifeOf(n++ + 10_000_000, subscribers, t0);
        req.body = sdpEnvelope(e.msisdn.replace(/^2547(\d{3})/, '2541$1'), e.id, e.first, e.at);
        return req;
      },
    },
  ];
}

/** The domain alone, no HTTP: `count` notifications straight into the subscriptions service. */
async function ingestDirect(count: number, subscribers: number, t0: number): Promise<number> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vasgw-bench-billing-'));
  const config = loadConfig({ env: {}, overrides: { database: { path: path.join(dir, 'billing.db') }, logLevel: 'silent' } });
  const gw = await buildGateway({ config, log: silentLogger });
  const started = performance.now();
  for (let n = 0; n < count; n++) {
    const e = lifeOf(n, subscribers, t0);
    await gw.core.subscriptions.ingest({ source: 'generic', eventId: e.id, msisdn: `+${e.msisdn}`, serviceId: 'crop-daily', type: e.first ? 'subscribed' : 'renewed', at: e.at, amount: 5 });
  }
  const rate = count / ((performance.now() - started) / 1000);
  await gw.stop();
  return rate;
}

export const billingBench: Bench = {
  name: 'billing',
  description: 'billing notifications ingested per second through /billing/events (JSON) and /billing/sdp (SOAP) vs bare Fastify; the domain alone',
  async run(ctx) {
    const seconds = ctx.quick ? 3 : 10;
    const connections = 16;
    const subscribers = ctx.quick ? 2_000 : 10_000;
    // Renewals run up to today: the notifications describe the last weeks, as a busy day's backlog would.
    const t0 = Date.now() - 40 * DAY;

    ctx.progress('bare Fastify baseline');
    const base = await bareBaseline({ seconds, connections, body: 'eventId=x&msisdn=%2B254700000001&type=renewed' });

    ctx.progress('gateway: generic JSON events');
    const gw = await startTarget('gateway');
    const generic = await load({ url: gw.url, seconds, connections, requests: genericRequests(subscribers, t0) });
    ctx.progress('gateway: SDP syncOrderRelation');
    const sdp = await load({ url: gw.url, seconds, connections, requests: sdpRequests(subscribers, t0) });
    const rss = await gw.stop();
    assertClean('billing generic', generic);
    assertClean('billing sdp', sdp);

    ctx.progress('domain alone');
    const direct = await ingestDirect(ctx.quick ? 10_000 : 50_000, subscribers, t0);

    const results: BenchResult[] = [
      { name: 'billing.generic_per_second', value: generic.rps, unit: 'notifications/s', baseline: { name: 'bare Fastify', value: base.rps }, ratio: generic.rps / base.rps, target: 'ratio >= 0.3' },
      { name: 'billing.sdp_per_second', value: sdp.rps, unit: 'notifications/s', baseline: { name: 'bare Fastify', value: base.rps }, ratio: sdp.rps / base.rps, target: 'ratio >= 0.3' },
      { name: 'billing.generic_latency_p99', value: generic.p99, unit: 'ms', baseline: { name: 'bare Fastify', value: base.p99 }, ratio: generic.p99 / Math.max(base.p99, 0.001) },
      { name: 'billing.sdp_latency_p99', value: sdp.p99, unit: 'ms' },
      { name: 'billing.notifications_total', value: generic.total + sdp.total, unit: 'notifications', extra: { connections, seconds, subscribers } },
      { name: 'billing.ingest_direct', value: direct, unit: 'notifications/s', extra: { note: 'subscriptions.ingest in process, no HTTP' } },
      { name: 'billing.gateway_peak_rss', value: rss, unit: 'MiB' },
    ];
    return results;
  },
};
