import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { VasgwProcess } from '../helpers/child';
import { cliDatabaseEnv } from '../helpers/cli-database';
import { testGateway } from '../helpers/gateway';

// `vasgw users add` and `vasgw users list` through the real command line, on a database file, then the
// accounts it made, seen by the gateway: they log in, and the console's audit log shows who made them.

describe('vasgw users (command line)', () => {
  let dbPath: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vasgw-users-'));
    dbPath = path.join(dir, 'gw.db');
    // The file on SQLite; on PostgreSQL the database the gateway of the last test opens for that file.
    env = { ...(await cliDatabaseEnv(dbPath)), LOG_LEVEL: 'silent' };
  }, 60_000);

  /** Runs `vasgw users ...` with `stdin` as its standard input. */
  async function users(args: string[], stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const p = new VasgwProcess(['users', ...args], env);
    p.child.stdin.end(stdin);
    const { code } = await p.exited;
    return { code, stdout: p.stdout, stderr: p.stderr };
  }
  const list = async () => (await users(['list'])).stdout.trim().split('\n').filter(Boolean);
  const oneSentence = (text: string) => expect(text.trim().split('\n')).toHaveLength(1);

  it('adds an account with the password from standard input and lists it', async () => {
    const r = await users(['add', 'ops.admin', '--role', 'admin'], 'a-long-password\n');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('account ops.admin (admin) created');
    const r2 = await users(['add', 'mwana.editor', '--role', 'editor', '--language', 'sw'], 'another-password\n');
    expect(r2.code).toBe(0);
    expect(await list()).toEqual(['mwana.editor\teditor\tsw', 'ops.admin\tadmin\ten']);
  }, 60_000);

  it('refuses a bad role, a short password, a taken name and a missing password in one sentence, saving nothing', async () => {
    const cases: [string[], string, number, RegExp][] = [
      [['add', 'someone', '--role', 'owner'], 'a-long-password\n', 1, /role must be one of viewer, editor, admin.*Nothing was saved/],
      [['add', 'someone', '--role', 'viewer'], 'short\n', 1, /at least 10 characters.*Nothing was saved/],
      [['add', 'ops.admin', '--role', 'viewer'], 'a-long-password\n', 1, /already an account named ops\.admin.*Nothing was saved/],
      [['add', 'someone', '--role', 'viewer'], '', 1, /no password given.*nothing was saved/],
      [['add', 'someone'], 'a-long-password\n', 2, /needs --role/],
    ];
    for (const [args, stdin, code, message] of cases) {
      const r = await users(args, stdin);
      expect({ args, code: r.code }).toEqual({ args, code });
      expect(r.stderr).toMatch(message);
      oneSentence(r.stderr);
    }
    expect(await list()).toEqual(['mwana.editor\teditor\tsw', 'ops.admin\tadmin\ten']);
  }, 120_000);

  it('made accounts the gateway logs in with, audited as made on the command line', async () => {
    const gw = await testGateway({}, { dbPath });
    try {
      expect((await gw.console!.login('ops.admin', 'a-long-password')).ok).toBe(true);
      expect((await gw.console!.login('mwana.editor', 'wrong-password')).ok).toBe(false);
      const s = await gw.console!.startSession((await gw.console!.accounts.byName('ops.admin'))!.id);
      const page = await gw.app.inject({ method: 'GET', url: '/console/audit?action=account.add', headers: { cookie: `vasgw_console=${s.token}` } });
      expect(page.statusCode).toBe(200);
      const rows = [...page.body.matchAll(/<tr><td>[^<]*<\/td><td>([^<]*)<\/td><td><code>account\.add<\/code><\/td><td>([^<]*)<\/td>/g)].map((m) => [m[1], m[2]]);
      expect(rows).toEqual([
        ['the command line', 'mwana.editor'],
        ['the command line', 'ops.admin'],
      ]);
    } finally {
      await gw.stop();
    }
  }, 60_000);
});
