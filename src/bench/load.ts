import autocannon, { type Request } from 'autocannon';
import { startTarget } from './http-target';

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  total: number;
}

/**
 * Bounded HTTP load on 127.0.0.1 (autocannon): a warm-up (JIT, caches; not counted), then the measured
 * run of fixed duration and connections. Baselines and gateways get the same treatment.
 */
export async function load(opts: { url: string; seconds: number; connections: number; requests: Request[]; warmupSeconds?: number }): Promise<LoadResult> {
  const warmup = opts.warmupSeconds ?? Math.min(3, Math.max(1, Math.round(opts.seconds / 3)));
  await autocannon({ url: opts.url, duration: warmup, connections: opts.connections, pipelining: 1, requests: opts.requests });
  const r = await autocannon({ url: opts.url, duration: opts.seconds, connections: opts.connections, pipelining: 1, requests: opts.requests });
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors,
    non2xx: r.non2xx,
    total: r.requests.total,
  };
}

/** The bare Fastify baseline for the same duration and connections: a small form post answered with text. */
export async function bareBaseline(opts: { seconds: number; connections: number; body: string }): Promise<LoadResult> {
  const bare = await startTarget('bare');
  try {
    return await load({
      url: bare.url,
      seconds: opts.seconds,
      connections: opts.connections,
      requests: [{ method: 'POST', path: '/hello', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: opts.body }],
    });
  } finally {
    await bare.stop();
  }
}

/**
 * A walk: form posts to `path`, one per step, that share a walk number. Each walk is a new session of a
 * new subscriber (`msisdn(n)`), so the benchmark measures first contact as well as later hops.
 */
export function formWalk(path: string, steps: Array<(n: number, msisdn: string, tag: string) => Record<string, string>>): Request[] {
  let walk = 0;
  const tag = String(process.pid % 1000).padStart(3, '0');
  return steps.map((fields, i) => ({
    method: 'POST',
    path,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    setupRequest: (req: Request, context: object) => {
      const ctx = context as { walk?: number };
      if (i === 0) ctx.walk = ++walk;
      const n = ctx.walk ?? 0;
      req.body = new URLSearchParams(fields(n, `+2547${tag}${String(n).padStart(5, '0')}`, tag)).toString();
      return req;
    },
  }));
}

/** Fails the benchmark when the server answered anything but 2xx. */
export function assertClean(name: string, r: LoadResult): void {
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${name}: gateway answered ${r.non2xx} non-2xx and ${r.errors} errors`);
}
