import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const VASGW = fileURLToPath(new URL('../../src/vasgw.mjs', import.meta.url));
const TOKEN = 'status-token-0123456789abcdef';

/** A TCP port nothing listens on right now. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

let child: ChildProcess | null = null;
afterEach(async () => {
  if (child && child.exitCode === null) {
    const c = child;
    await new Promise((r) => {
      c.on('exit', r);
      c.kill('SIGTERM');
    });
  }
  child = null;
});

describe('vasgw status', () => {
  it('prints binds, queue depths and reasons from the running gateway, then from the database once it is gone', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vasgw-status-'));
    const [port, deadSmsc] = [await freePort(), await freePort()];
    const cfg = path.join(dir, 'gw.yaml');
    writeFileSync(
      cfg,
      [
        'messaging:',
        '  quietHours: null',
        'smpp:',
        '  binds:',
        `    - { id: op1, host: 127.0.0.1, port: ${deadSmsc}, systemId: vasgw, password: secret, reconnect: { minSeconds: 0.2, maxSeconds: 0.5 } }`,
        '',
      ].join('\n'),
    );
    const env = { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_PATH: path.join(dir, 'gw.db'), VASGW_API_TOKEN: TOKEN, LOG_LEVEL: 'info' };
    const server = spawn(process.execPath, [VASGW, 'serve', '--config', cfg], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = server;
    let log = '';
    server.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`gateway did not start: ${log}`)), 30_000);
      server.stdout!.on('data', () => {
        if (log.includes('gateway listening')) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    const sent = await fetch(`http://127.0.0.1:${port}/api/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ to: '+254712345678', text: 'Habari', kind: 'transactional' }),
    });
    expect(sent.status).toBe(202);

    // spawn, not spawnSync: the test process stays free while the CLI asks the gateway.
    const status = (args: string[], e: NodeJS.ProcessEnv = env) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const p = spawn(process.execPath, [VASGW, 'status', '--config', cfg, ...args], { env: { ...e, LOG_LEVEL: 'silent' } });
        let stdout = '';
        let stderr = '';
        p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        p.on('exit', (code) => resolve({ code, stdout, stderr }));
      });

    const text = await status([]);
    expect(text.code, text.stderr).toBe(1);
    expect(text.stdout).toMatch(/NOT READY/);
    expect(text.stdout).toMatch(/NO_TRANSPORT: 1 due message has no transport/);
    expect(text.stdout).toMatch(new RegExp(`op1\\s+transceiver\\s+127\\.0\\.0\\.1:${deadSmsc}\\s+operator any\\s+NOT BOUND`));
    expect(text.stdout).toMatch(/total\s+due\s+1\s+deferred\s+0\s+sent\s+0/);
    expect(text.stdout).toMatch(/oldest due message: due \d{4}-/);
    expect(text.stdout).not.toContain('+2547');

    const json = await status(['--json']);
    const s = JSON.parse(json.stdout);
    expect(s).toMatchObject({ source: 'gateway', ready: false, queue: { due: 1 }, binds: [{ id: 'op1', up: false }] });

    // Without the API token the public /readyz still gives bind state and reasons.
    const { VASGW_API_TOKEN: _drop, ...noToken } = env;
    const pub = JSON.parse((await status(['--json'], noToken)).stdout);
    expect(pub).toMatchObject({ source: 'gateway', ready: false, queue: { due: 1 }, binds: [{ id: 'op1', up: false }] });
    expect(pub.reasons.map((r: { code: string }) => r.code)).toContain('NO_TRANSPORT');

    await new Promise((r) => {
      server.on('exit', r);
      server.kill('SIGTERM');
    });
    const offline = await status(['--json']);
    expect(offline.code).toBe(1);
    const o = JSON.parse(offline.stdout);
    expect(o).toMatchObject({ source: 'database', ready: null, queue: { due: 1 }, binds: [{ id: 'op1', up: null }] });
    expect(o.note).toMatch(/no gateway answering/);
  }, 90_000);

  it('refuses bad options with a sentence and exit 2', () => {
    const r = spawnSync(process.execPath, [VASGW, 'status', '--bogus'], { encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'silent' }, timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/vasgw status: .*--bogus/);
  });
});
