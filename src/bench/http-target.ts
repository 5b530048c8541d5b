import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import formbody from '@fastify/formbody';

const VASGW = fileURLToPath(new URL('../vasgw.mjs', import.meta.url));

/** A server running in its own process, so the load generator does not share its event loop. */
export interface Target {
  url: string;
  /** Stops it and returns its peak RSS in MiB. */
  stop(): Promise<number>;
  /** CPU seconds (user + system) the server process used, known once stopped: steadier than req/s on a shared machine. */
  cpuSeconds(): number;
}

/** The environment variable that gives a `gateway-postgres` target its database URL. */
export const TARGET_DATABASE_URL = 'VASGW_BENCH_TARGET_DATABASE_URL';

/**
 * Starts `vasgw bench-target KIND [ARG]` and waits for its "LISTENING <port>" line. `env` is added to
 * the target's environment (secrets go there, never in ARG).
 */
export function startTarget(kind: string, arg?: string, env: Record<string, string> = {}): Promise<Target> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(
      process.execPath,
      [...(process.env.BENCH_TARGET_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_TARGET_PROF] : []), VASGW, 'bench-target', kind, ...(arg ? [arg] : [])],
      { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ...env } },
    );
    let buf = '';
    let rss = 0;
    let cpu = 0;
    let exited: (() => void) | null = null;
    let listening = false;
    // A target that fails to start (its error is on stderr) exits before it listens.
    child.on('exit', (code) => (listening ? exited?.() : reject(new Error(`bench target ${kind} exited with code ${code} before listening`))));
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const port = /LISTENING (\d+)/.exec(buf);
      const r = /RSS ([\d.]+)/.exec(buf);
      if (r) rss = Number(r[1]);
      const c = /CPU ([\d.]+)/.exec(buf);
      if (c) cpu = Number(c[1]);
      if (port && buf.includes('\n')) {
        listening = true;
        const url = `http://127.0.0.1:${port[1]}`;
        buf = buf.replace(/LISTENING \d+\n?/, '');
        resolve({
          url,
          stop: () =>
            new Promise<number>((done) => {
              exited = () => done(rss);
              child.stdin!.end('stop\n');
            }),
          cpuSeconds: () => cpu,
        });
      }
    });
    child.on('error', reject);
  });
}

/**
 * Target process side: listen on 127.0.0.1:0, print the port, stop on "stop" from stdin and print peak
 * RSS and the CPU time used while serving (start-up excluded).
 */
export async function serveTarget(listen: () => Promise<{ port: number; close: () => Promise<void> }>): Promise<void> {
  const { port, close } = await listen();
  const before = process.cpuUsage();
  process.stdout.write(`LISTENING ${port}\n`);
  await new Promise<void>((r) => process.stdin.once('data', () => r()));
  const used = process.cpuUsage(before);
  await close();
  process.stdout.write(`CPU ${((used.user + used.system) / 1e6).toFixed(3)}\n`);
  process.stdout.write(`RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(1)}\n`);
  process.exit(0);
}

/** The baseline: bare Fastify answering a form post with text, as small as a USSD reply. */
export async function bareFastify(): Promise<{ port: number; close: () => Promise<void> }> {
  const app = Fastify({ logger: false });
  await app.register(formbody);
  app.post('/hello', async (_req, reply) => reply.type('text/plain').send('CON hello'));
  app.get('/hello', async () => 'hello');
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  return { port: typeof addr === 'object' && addr ? addr.port : 0, close: () => app.close() };
}
