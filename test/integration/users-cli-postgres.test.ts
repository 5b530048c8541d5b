import { describe, expect, it } from 'vitest';
import { VasgwProcess } from '../helpers/child';
import { closedPort, databaseForFile, postgresUnavailable } from '../helpers/postgres';

// `vasgw users add` and `list` with DATABASE_URL: the accounts go to PostgreSQL (the database is
// migrated first), a taken name is refused there too, `vasgw generate` afterwards leaves them be, and a
// server that cannot be reached is one sentence without the password.
const skip = postgresUnavailable();
const CLI_TIMEOUT = 90_000;

describe.skipIf(skip !== null)('vasgw users on PostgreSQL', () => {
  // Not migrated: the command migrates it.
  const pgFile = databaseForFile();

  /** Runs `vasgw users ...` on the database at `url` with `stdin` as its standard input. */
  async function users(args: string[], stdin: string, url = pgFile.db.url) {
    const p = new VasgwProcess(['users', ...args], { DATABASE_URL: url, LOG_LEVEL: 'silent' });
    p.child.stdin.end(stdin);
    const { code } = await p.exited;
    return { code, stdout: p.stdout, stderr: p.stderr };
  }

  it('adds accounts to PostgreSQL and lists them; a taken name changes nothing', async () => {
    const a = await users(['add', 'ops.admin', '--role', 'admin'], 'a-long-password\n');
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    expect(a.stdout).toContain('account ops.admin (admin) created');
    expect((await users(['add', 'mwana.editor', '--role', 'editor', '--language', 'sw'], 'another-password\n')).code).toBe(0);
    const taken = await users(['add', 'ops.admin', '--role', 'viewer'], 'a-long-password\n');
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/already an account named ops\.admin.*Nothing was saved/);
    const list = await users(['list'], '');
    expect(list.stdout.trim().split('\n')).toEqual(['mwana.editor\teditor\tsw', 'ops.admin\tadmin\ten']);
  }, CLI_TIMEOUT);

  it('generates a demo population beside the accounts made first, and keeps them', async () => {
    const gen = new VasgwProcess(['generate', '--subscribers', '50', '--days', '2', '--seed', '3', '--quiet'], { DATABASE_URL: pgFile.db.url, LOG_LEVEL: 'silent' });
    gen.child.stdin.end();
    const { code } = await gen.exited;
    expect(gen.stderr).toBe('');
    expect(code).toBe(0);
    expect(gen.stdout).toMatch(/generated \d+ usage events .* for 50 subscribers/);
    expect(gen.stdout).toMatch(/copied [\d,]+ rows into /);
    const list = await users(['list'], '');
    expect(list.stdout.trim().split('\n')).toEqual(['mwana.editor\teditor\tsw', 'ops.admin\tadmin\ten']);
  }, CLI_TIMEOUT);

  it('says in one sentence, without the password, when the server cannot be reached', async () => {
    const url = `postgres://vasgw:s3cret-pw@127.0.0.1:${await closedPort()}/vasgw`;
    const r = await users(['add', 'someone', '--role', 'viewer'], 'a-long-password\n', url);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^vasgw users add: cannot reach PostgreSQL at 127\.0\.0\.1:\d+.*Nothing was saved\.\n$/);
    expect(r.stderr).not.toContain('s3cret-pw');
  }, CLI_TIMEOUT);
});
