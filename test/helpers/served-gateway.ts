import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { VasgwProcess } from './child';
import { TEST_TOKEN } from './gateway';
import { closedPort } from './postgres';

/** A real `vasgw serve` process on a shared PostgreSQL database, as one of several gateways of a deployment. */
export interface ServedGateway {
  /** Its `server.instanceId`: what it writes into the outbox rows it claims. */
  instanceId: string;
  proc: VasgwProcess;
  /** http://127.0.0.1:port */
  base: string;
  /** Its process id: campaign run leases name their owner by it (host:pid:random). */
  pid: number;
}

/**
 * Starts `vasgw serve` on `databaseUrl` with its own instance id and the config overrides written to a
 * file in `dir` (VASGW_CONFIG, as an operator would), listening on 127.0.0.1 only; resolves once /healthz
 * answers. Its PostgreSQL connections carry the instance id as application_name, so a test can see in
 * pg_stat_activity when the server has let go of every connection of a process it killed.
 */
export async function serveOnPostgres(opts: { databaseUrl: string; instanceId: string; dir: string; config: Record<string, unknown> }): Promise<ServedGateway> {
  const file = path.join(opts.dir, `${opts.instanceId}.yaml`);
  // JSON is YAML: the override file is the config object as it is.
  writeFileSync(file, JSON.stringify({ crm: { onboarding: { enabled: false } }, ...opts.config }, null, 2));
  const url = new URL(opts.databaseUrl);
  url.searchParams.set('application_name', opts.instanceId);
  const port = await closedPort();
  const proc = new VasgwProcess(['serve'], {
    DATABASE_URL: url.toString(),
    VASGW_CONFIG: file,
    VASGW_INSTANCE_ID: opts.instanceId,
    VASGW_API_TOKEN: TEST_TOKEN,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = performance.now() + 60_000;
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`vasgw serve (${opts.instanceId}) exited with ${proc.child.exitCode}: ${proc.stdout.slice(-2000)} ${proc.stderr.slice(-2000)}`);
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) {
      proc.kill();
      throw new Error(`vasgw serve (${opts.instanceId}) did not answer /healthz within 60 s: ${proc.stdout.slice(-2000)} ${proc.stderr.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { instanceId: opts.instanceId, proc, base, pid: proc.child.pid! };
}

/** SIGKILL: the process dies at once, with whatever it held in memory, as on an OOM kill or a lost host. */
export async function killHard(gw: ServedGateway): Promise<void> {
  gw.proc.kill();
  await gw.proc.exited;
}
