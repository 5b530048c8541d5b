import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../config';
import { buildGateway } from '../server';
import { silentLogger } from '../lib/logger';
import { bareFastify, serveTarget } from './http-target';

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

/** Server kinds a benchmark can start in a child process (`vasgw bench-target KIND`). */
export const targets: Record<string, (arg?: string) => Promise<{ port: number; close: () => Promise<void> }>> = {
  bare: () => bareFastify(),
  gateway: (arg) => gateway(arg),
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
