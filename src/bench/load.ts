import autocannon, { type Request } from 'autocannon';
import { startTarget } from './http-target';

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  total: number;
  /** Requests answered in the warm-up and the measured run together (for CPU per request). */
  served: number;
}

/**
 * Bounded HTTP load on 127.0.0.1 (autocannon): a warm-up (JIT, caches; not counted), then the measured
 * run of fixed duration and connections. Baselines and gateways get the same treatment.
 */
export async function load(opts: { url: string | string[]; seconds: number; connections: number; requests: Request[]; warmupSeconds?: number }): Promise<LoadResult> {
  const warmup = opts.warmupSeconds ?? Math.min(3, Math.max(1, Math.round(opts.seconds / 3)));
  // autocannon takes several URLs and gives connection i the i-th modulo their number; its types know one.
  const url = opts.url as string;
  const w = await autocannon({ url, duration: warmup, connections: opts.connections, pipelining: 1, requests: opts.requests });
  const r = await autocannon({ url, duration: opts.seconds, connections: opts.connections, pipelining: 1, requests: opts.requests });
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors,
    non2xx: r.non2xx,
    total: r.requests.total,
    served: w.requests.total + r.requests.total,
  };
}

/** The bare Fastify baseline for the same duration and connections: a small form post answered with text. */
export async function bareBaseline(opts: { seconds: number; connections: number; body: string }): Promise<LoadResult & { cpuPerRequestUs: number }> {
  const bare = await startTarget('bare');
  let r: LoadResult;
  try {
    r = await load({
      url: bare.url,
      seconds: opts.seconds,
      connections: opts.connections,
      requests: [{ method: 'POST', path: '/hello', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: opts.body }],
    });
  } finally {
    await bare.stop();
  }
  return { ...r, cpuPerRequestUs: cpuPerRequestUs(bare.cpuSeconds(), r) };
}

/** Server CPU per answered request in microseconds (warm-up included on both sides). */
export function cpuPerRequestUs(cpuSeconds: number, r: LoadResult): number {
  return r.served > 0 ? (cpuSeconds * 1e6) / r.served : 0;
}

/** Who makes a walk: a new number per walk by default (first contact every time). */
export type Callers = (walk: number, tag: string) => { msisdn: string; returning: boolean };

/** Every walk a new subscriber. */
export const newCallers: Callers = (n, tag) => ({ msisdn: `+2547${tag}${String(n).padStart(5, '0')}`, returning: false });

/**
 * Mostly returning callers: one walk in `newEvery` is a new number, the others come from a pool of
 * `pool` numbers (created by their first walk, during the warm-up), as a live service sees them.
 */
export function mostlyReturning(pool: number, newEvery: number): Callers {
  const seen = new Set<number>();
  return (n, tag) => {
    if (n % newEvery === 0) return { msisdn: `+2547${tag}${String(n).padStart(5, '0')}`, returning: false };
    const k = (n * 7919) % pool;
    const returning = seen.has(k);
    seen.add(k);
    return { msisdn: `+2541${tag}${String(k).padStart(5, '0')}`, returning };
  };
}

/**
 * A walk: form posts to `path`, one per step, that share a walk number and a caller. Steps get whether
 * the caller is returning (a known subscriber sees no language screen, so its inputs differ).
 */
export function formWalk(
  path: string,
  steps: WalkStep[],
  callers: Callers = newCallers,
): Request[] {
  let walk = 0;
  const tag = String(process.pid % 1000).padStart(3, '0');
  return steps.map((fields, i) => ({
    method: 'POST',
    path,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    setupRequest: (req: Request, context: object) => {
      const ctx = context as { walk?: number; caller?: { msisdn: string; returning: boolean } };
      if (i === 0 || !ctx.caller) {
        ctx.walk = ++walk;
        ctx.caller = callers(ctx.walk, tag);
      }
      const n = ctx.walk ?? 0;
      req.body = new URLSearchParams(fields(n, ctx.caller.msisdn, tag, ctx.caller.returning)).toString();
      return req;
    },
  }));
}

/** One step of a walk: the form fields of the n-th walk's hop for a caller. */
export type WalkStep = (n: number, msisdn: string, tag: string, returning: boolean) => Record<string, string>;

/**
 * Walks spread over several servers sharing one database, as a load balancer without sticky sessions
 * spreads them: each hop of a walk goes to the server after the one that answered the walk's previous
 * hop (`ports` in turn), so every session's hops land on all of them. Connections take a walk waiting
 * for their server, else start a new one. With one port, the same walks as `formWalk` on one server.
 * For `load` with one URL per port (autocannon gives connection i the i-th URL).
 */
export function spreadWalk(path: string, steps: WalkStep[], callers: Callers, ports: number[]): Request[] {
  interface Walk {
    n: number;
    caller: { msisdn: string; returning: boolean };
    step: number;
    port: number;
  }
  let walks = 0;
  const tag = String(process.pid % 1000).padStart(3, '0');
  const waiting = new Map<number, Walk[]>(ports.map((p) => [p, []]));
  const nextPort = (p: number) => ports[(ports.indexOf(p) + 1) % ports.length]!;
  return [
    {
      method: 'POST',
      path,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      setupRequest: (req: Request & { port?: number | string }, context: object) => {
        const port = Number(req.port);
        let walk = waiting.get(port)?.shift();
        if (!walk) {
          const n = ++walks;
          walk = { n, caller: callers(n, tag), step: 0, port };
        }
        walk.port = port;
        (context as { walk?: Walk }).walk = walk;
        req.body = new URLSearchParams(steps[walk.step]!(walk.n, walk.caller.msisdn, tag, walk.caller.returning)).toString();
        return req;
      },
      // A hop that answered hands its walk to the next server; one that failed ends the walk (assertClean reports it).
      onResponse: (status: number, _body: string, context: object) => {
        const walk = (context as { walk?: Walk }).walk;
        if (!walk || status >= 300 || ++walk.step >= steps.length) return;
        waiting.get(nextPort(walk.port))?.push(walk);
      },
    },
  ];
}

/** Fails the benchmark when the server answered anything but 2xx. */
export function assertClean(name: string, r: LoadResult): void {
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${name}: gateway answered ${r.non2xx} non-2xx and ${r.errors} errors`);
}
