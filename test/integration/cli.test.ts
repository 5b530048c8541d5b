import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const VASGW = fileURLToPath(new URL('../../src/vasgw.mjs', import.meta.url));
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [VASGW, ...args], { encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'silent', ...env }, timeout: 30_000 });

describe('vasgw CLI', () => {
  it('lists every command with --help', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    for (const c of ['serve', 'migrate', 'flows check', 'simulate ussd', 'bench']) expect(r.stdout).toContain(c);
  });

  it('says so and exits non-zero on an unknown command or bad options', () => {
    const r = run(['frobnicate']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown command "frobnicate"/);
    const s = run(['simulate', 'ussd']);
    expect(s.status).toBe(2);
    expect(s.stderr).toMatch(/--msisdn and --code/);
  });

  it('migrates a new database file and exits', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vasgw-cli-'));
    const db = path.join(dir, 'nested', 'gw.db');
    const r = run(['migrate'], { DATABASE_PATH: db });
    expect(r.status).toBe(0);
    expect(existsSync(db)).toBe(true);
  });

  it('flows check: OK on the demo flows, one line per problem and exit 1 on a broken flow', () => {
    const ok = run(['flows', 'check', 'flows']);
    expect(ok.status).toBe(0);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vasgw-flows-'));
    writeFileSync(
      path.join(dir, 'broken.yaml'),
      ['id: broken', 'languages: [en]', 'entry: { ussd: ["*500#"] }', 'start: main', 'nodes:', '  main:', '    type: menu', '    text: { en: Main }', '    options:', '      - { label: { en: Go }, next: nowhere }', ''].join('\n'),
    );
    const bad = run(['flows', 'check', dir]);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/broken\.yaml: node main: .*nowhere/);
  });

  it('refuses to serve on an invalid config and names the key', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vasgw-cli-'));
    const cfg = path.join(dir, 'bad.yaml');
    writeFileSync(cfg, 'ussd:\n  maxChars: 5000\n');
    const r = run(['serve', '--config', cfg]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/ussd\.maxChars/);
  });

  it('serves, answers /healthz, and shuts down cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vasgw-serve-'));
    const child = spawn(process.execPath, [VASGW, 'serve'], {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATABASE_PATH: path.join(dir, 'gw.db'), LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no listening line: ${out}`)), 20_000);
      child.stdout.on('data', () => {
        const m = /"msg":"Server listening at http:\/\/127\.0\.0\.1:(\d+)"/.exec(out);
        if (m) {
          clearTimeout(t);
          resolve(Number(m[1]));
        }
      });
    });
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(await res.json()).toEqual({ status: 'ok' });
    const code = await new Promise<number | null>((resolve) => {
      child.on('exit', (c) => resolve(c));
      child.kill('SIGTERM');
    });
    expect(code).toBe(0);
    expect(out).toContain('shutting down');
    expect(out).not.toContain('+2547');
  });
});
