import { loadConfig } from '../config';
import { loadFlows } from '../engine/flow-loader';
import { startTarget } from './http-target';
import { assertClean, bareBaseline, formWalk, load } from './load';
import type { Bench, BenchResult } from './types';

/** The IVR number of the first flow that has one (the demo flow), or a clear error. */
function ivrNumber(): { number: string; flowId: string } {
  const { flows } = loadFlows(loadConfig({ env: {} }).flows.dir);
  const flow = flows.find((f) => f.entry.ivr.length > 0);
  if (!flow) throw new Error('no flow has an IVR number (entry.ivr): the IVR benchmark calls the demo flow by voice');
  return { number: flow.entry.ivr[0]!, flowId: flow.id };
}

/**
 * One caller's call as Africa's Talking sends it: the first request, four key presses (language,
 * crop advice, maize, planting advice) and the final request with duration and cost. A new call
 * session and a new number per walk, so every walk creates a subscriber and a session.
 */
function callWalk(number: string) {
  const steps: Array<Record<string, string>> = [{}, { dtmfDigits: '1' }, { dtmfDigits: '1' }, { dtmfDigits: '1' }, { dtmfDigits: '1' }, { isActive: '0', durationInSeconds: '42', currencyCode: 'KES', amount: '2.10', hangupCause: 'NORMAL_CLEARING' }];
  return steps.map((extra) => (n: number, callerNumber: string, tag: string) => ({
    isActive: '1',
    sessionId: `ATVId_bench_${tag}_${n}`,
    direction: 'Inbound',
    callerNumber,
    destinationNumber: number,
    ...extra,
  }));
}

export const ivrBench: Bench = {
  name: 'ivr',
  description: "Africa's Talking voice callbacks through /ivr/africastalking (session, engine, voice XML, usage log) vs bare Fastify",
  async run(ctx) {
    const seconds = ctx.quick ? 3 : 10;
    const connections = 32;
    const { number, flowId } = ivrNumber();
    ctx.progress('bare Fastify baseline');
    const base = await bareBaseline({ seconds, connections, body: 'sessionId=x&isActive=1&dtmfDigits=1' });
    ctx.progress(`gateway (${flowId} on ${number})`);
    const gw = await startTarget('gateway');
    const r = await load({ url: gw.url, seconds, connections, requests: formWalk('/ivr/africastalking', callWalk(number)) });
    const rss = await gw.stop();
    assertClean('ivr', r);
    const results: BenchResult[] = [
      { name: 'ivr.callbacks_per_second', value: r.rps, unit: 'req/s', baseline: { name: 'bare Fastify', value: base.rps }, ratio: r.rps / base.rps },
      { name: 'ivr.latency_p50', value: r.p50, unit: 'ms', baseline: { name: 'bare Fastify', value: base.p50 }, ratio: r.p50 / Math.max(base.p50, 0.001) },
      { name: 'ivr.latency_p99', value: r.p99, unit: 'ms', baseline: { name: 'bare Fastify', value: base.p99 }, ratio: r.p99 / Math.max(base.p99, 0.001) },
      { name: 'ivr.callbacks_total', value: r.total, unit: 'requests', extra: { connections, seconds, perCall: 6 } },
      { name: 'ivr.gateway_peak_rss', value: rss, unit: 'MiB' },
    ];
    return results;
  },
};
