import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../config';
import { buildGateway } from '../server';
import { silentLogger } from '../lib/logger';
import { bareFastify, serveTarget, TARGET_DATABASE_URL } from './http-target';
import { smscBinding, untilBound } from './smpp';

/** A whole gateway on a fresh SQLite file (WAL, as in production), optionally with an override config file. */
async function gateway(configFile?: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vasgw-bench-'));
  const config = loadConfig({ file: configFile, env: {}, overrides: { database: { path: path.join(dir, 'bench.db') }, api: { token: 'bench-token-0123456789' } } });
  const gw = await buildGateway({ config, log: silentLogger });
  await gw.start();
  await gw.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = gw.app.server.address();
  return { port: typeof addr === 'object' && addr ? addr.port : 0, close: () => gw.stop() };
}

/**
 * A whole gateway on the PostgreSQL database named by the environment (TARGET_DATABASE_URL: a password
 * in the command line would show in the process list), as `vasgw serve` with DATABASE_URL runs it;
 * with an SMSC port, bound to the bench SMSC there and ready before it reports its port.
 */
async function postgresGateway(smscPort?: string) {
  const url = process.env[TARGET_DATABASE_URL];
  if (!url) throw new Error(`${TARGET_DATABASE_URL} is not set: the bench names the PostgreSQL database this target serves on`);
  const config = loadConfig({
    env: {},
    overrides: { logLevel: 'silent', database: { url }, api: { token: 'bench-token-0123456789' }, ...(smscPort ? smscBinding(Number(smscPort)) : {}) },
  });
  const gw = await buildGateway({ config, log: silentLogger });
  await gw.start();
  if (smscPort) await untilBound(gw);
  await gw.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = gw.app.server.address();
  return { port: typeof addr === 'object' && addr ? addr.port : 0, close: () => gw.stop() };
}

/** Server kinds a benchmark can start in a child process (`vasgw bench-target KIND`). */
export const targets: Record<string, (arg?: string) => Promise<{ port: number; close: () => Promise<void> }>> = {
  bare: () => bareFastify(),
  gateway: (arg) => gateway(arg),
  'gateway-postgres': (arg) => postgresGateway(arg),
};

/** Entry point of `vasgw bench-target`. */
export async function runTarget(kind: string, arg?: string): Promise<number> {
  const make = targets[kind];
  if (!make) {
    process.stderr.write(`unknown bench target ${kind}\n`);
    return 2;
  }
  await serveTarget(() => make(arg));
  return 0;
}
