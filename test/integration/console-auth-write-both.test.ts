import { sql } from 'drizzle-orm';
import { beforeAll, beforeEach, expect, it } from 'vitest';
import { ConsoleAccounts } from '../../src/console/auth/accounts';
import { hashPassword } from '../../src/console/auth/password';
import { consoleAccounts, consoleAudit, consoleSessions } from '../../src/db/schema';
import { ManualClock } from '../../src/lib/clock';
import { AppError } from '../../src/lib/errors';
import { eachBackend, type Backend } from '../helpers/backends';

// The console's accounts, sessions and audit log written in units of work on both engines: each change
// and its audit entry land together or not at all, a login's failure count is kept by the row (no lost
// count when wrong passwords arrive together), two adds of one name leave one account, and the last
// enabled admin cannot be taken away even by two changes at once.
const T0 = Date.parse('2026-11-02T09:00:00Z');
const POLICY = { sessionHours: 8, lockout: { attempts: 3, minutes: 15 } };

eachBackend((get) => {
  let hash: string;
  const clock = new ManualClock(T0);
  const accountsOf = (b: Backend) => new ConsoleAccounts({ database: b.database, units: b.units }, clock, POLICY);
  const plantAccount = (b: Backend, id: number, name: string, role: 'viewer' | 'editor' | 'admin', extra: Partial<typeof consoleAccounts.$inferInsert> = {}) =>
    b.plant(consoleAccounts, [{ id, name, role, passwordHash: hash, language: 'en', createdAt: T0, updatedAt: T0, ...extra }]);
  const audit = async (b: Backend) =>
    b.database.all<{ accountName: string; action: string; target: string | null }>(
      sql`SELECT ${consoleAudit.accountName} AS "accountName", ${consoleAudit.action} AS "action", ${consoleAudit.target} AS "target" FROM ${consoleAudit} ORDER BY ${consoleAudit.id}`,
    );
  const sessionCount = async (b: Backend) => (await b.database.get<{ n: number }>(sql`SELECT count(*) AS "n" FROM ${consoleSessions}`))!.n;

  beforeAll(async () => {
    hash = await hashPassword('right-password-1');
  });

  beforeEach(async () => {
    clock.set(T0);
    await get().clear(consoleAudit, consoleSessions, consoleAccounts);
  });

  it('adds an account and its audit entry in one unit; the new account signs in and its session is live', async () => {
    const b = get();
    const accounts = accountsOf(b);
    const added = await accounts.add('new.person', 'editor', 'a-long-password', 'sw', 'ana.admin');
    expect(added).toMatchObject({ name: 'new.person', role: 'editor', language: 'sw', disabled: false, failedLogins: 0, lockedUntil: null });
    const signed = await accounts.signIn('new.person', 'a-long-password');
    expect(signed.ok).toBe(true);
    const session = (signed as { session: { token: string; csrf: string } }).session;
    expect(await accounts.session(session.token)).toMatchObject({ account: { name: 'new.person', disabled: false }, csrf: session.csrf });
    expect(await audit(b)).toEqual([
      { accountName: 'ana.admin', action: 'account.add', target: 'new.person' },
      { accountName: 'new.person', action: 'login', target: null },
    ]);
    const entries = await accounts.auditPage(10);
    expect(entries[1]).toMatchObject({ action: 'account.add', detail: { role: 'editor', language: 'sw' } });
    await accounts.endSession(session.token, 'new.person');
    expect(await accounts.session(session.token)).toBeUndefined();
    expect(await sessionCount(b)).toBe(0);
  });

  it('of two adds of one name at once, keeps one account and one audit entry; the other is a 409', async () => {
    const b = get();
    const accounts = accountsOf(b);
    const results = await Promise.allSettled([accounts.add('twin', 'viewer', 'a-long-password', 'en', 'a'), accounts.add('twin', 'editor', 'a-long-password', 'en', 'b')]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(AppError);
    expect((refused.reason as AppError).code).toBe('NAME_TAKEN');
    expect(await accounts.accounts.count()).toBe(1);
    expect((await audit(b)).filter((e) => e.action === 'account.add')).toHaveLength(1);
  });

  it('counts every wrong password typed at once and locks at the limit, audited once', async () => {
    const b = get();
    await plantAccount(b, 1, 'esi.editor', 'editor');
    const accounts = accountsOf(b);
    const results = await Promise.all(Array.from({ length: 3 }, () => accounts.login('esi.editor', 'wrong-password')));
    expect(results.filter((r) => !r.ok && r.reason === 'locked')).toHaveLength(1);
    const row = (await accounts.accounts.byName('esi.editor'))!;
    expect(row.lockedUntil).toBe(T0 + 15 * 60_000);
    expect(row.failedLogins).toBe(0);
    expect(await accounts.login('esi.editor', 'right-password-1')).toMatchObject({ ok: false, reason: 'locked' });
    expect(await audit(b)).toEqual([{ accountName: 'esi.editor', action: 'login.locked', target: 'esi.editor' }]);
    clock.set(T0 + 16 * 60_000);
    expect((await accounts.login('esi.editor', 'right-password-1')).ok).toBe(true);
    expect((await accounts.accounts.byName('esi.editor'))!).toMatchObject({ lockedUntil: null, failedLogins: 0 });
  });

  it('changes an account, ends its sessions and audits it in one unit; a refused change leaves no entry', async () => {
    const b = get();
    await plantAccount(b, 1, 'ana.admin', 'admin');
    await plantAccount(b, 2, 'esi.editor', 'editor');
    const accounts = accountsOf(b);
    await accounts.startSession(2);
    await accounts.startSession(2);
    expect(await sessionCount(b)).toBe(2);
    const changed = await accounts.change('esi.editor', { role: 'viewer', disabled: true }, { name: 'ana.admin', action: 'account.role', detail: { from: 'editor', to: 'viewer' } });
    expect(changed).toMatchObject({ role: 'viewer', disabled: true });
    expect(await sessionCount(b)).toBe(0);
    await expect(accounts.change('ana.admin', { disabled: true }, { name: 'ana.admin', action: 'account.disable' })).rejects.toMatchObject({ code: 'LAST_ADMIN' });
    expect((await accounts.accounts.byName('ana.admin'))!.disabled).toBe(false);
    expect(await audit(b)).toEqual([{ accountName: 'ana.admin', action: 'account.role', target: 'esi.editor' }]);
  });

  it('keeps an enabled admin when two admins are disabled at once', async () => {
    const b = get();
    await plantAccount(b, 1, 'ana.admin', 'admin');
    await plantAccount(b, 2, 'ben.admin', 'admin');
    await plantAccount(b, 3, 'old.admin', 'admin', { disabled: true });
    const accounts = accountsOf(b);
    const results = await Promise.allSettled([
      accounts.change('ana.admin', { disabled: true }, { name: 'ben.admin', action: 'account.disable' }),
      accounts.change('ben.admin', { disabled: true }, { name: 'ana.admin', action: 'account.disable' }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const enabled = (await accounts.accounts.all()).filter((a) => a.role === 'admin' && !a.disabled);
    expect(enabled).toHaveLength(1);
    expect(await audit(b)).toHaveLength(1);
  });

  it('pages the audit log newest first, by account and by family of actions', async () => {
    const b = get();
    const accounts = accountsOf(b);
    await b.units.unit(async (tx) => {
      for (let i = 0; i < 5; i++) await accounts.auditIn(tx, i % 2 ? 'esi.editor' : 'ana.admin', i % 2 ? 'campaign.pause' : 'account_x.add', `t${i}`, { n: i, name: 'café' });
    });
    expect((await accounts.auditPage(2)).map((e) => e.target)).toEqual(['t4', 't3']);
    const last = (await accounts.auditPage(2))[1]!;
    expect((await accounts.auditPage(10, last.id)).map((e) => e.target)).toEqual(['t2', 't1', 't0']);
    expect((await accounts.auditPage(10, undefined, { account: 'esi.editor' })).map((e) => e.target)).toEqual(['t3', 't1']);
    // `_` is itself, not a wildcard: `account` does not match `account_x.add`.
    expect(await accounts.auditPage(10, undefined, { action: 'account' })).toEqual([]);
    expect((await accounts.auditPage(10, undefined, { action: 'campaign' }))[0]).toMatchObject({ action: 'campaign.pause', detail: { n: 3, name: 'café' } });
  });
});
