import autocannon, { type Request } from 'autocannon';

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  total: number;
}

/** Bounded HTTP load on 127.0.0.1 (autocannon): fixed duration, fixed connections. */
export async function load(opts: { url: string; seconds: number; connections: number; requests: Request[] }): Promise<LoadResult> {
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
