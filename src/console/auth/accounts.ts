import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../../db/client';
import type { Clock } from '../../lib/clock';
import { MINUTE, HOUR } from '../../lib/clock';
import { badRequest, conflict, notFound } from '../../lib/errors';
import { AccountRepo, ROLES, type AccountRow, type Role } from './account-repo';
import { AuditRepo, type AuditFilter } from './audit-repo';
import { hashPassword, passwordProblem, verifyPassword } from './password';
import { SessionRepo } from './session-repo';
import type { Lang } from '../i18n';

export interface AccountPolicy {
  sessionHours: number;
  lockout: { attempts: number; minutes: number };
}

/** What a login attempt came to. */
export type LoginResult = { ok: true; account: AccountRow } | { ok: false; reason: 'wrong' | 'locked'; lockedUntil?: number };

/** What an account's name may be: 2 to 64 letters, digits, dots, dashes, underscores or @. */
export const ACCOUNT_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$/;
const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2 };

/** Whether `role` may do what `needed` may. */
export function roleAllows(role: Role, needed: Role): boolean {
  return RANK[role] >= RANK[needed];
}

const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');

// A hash to compare against when the name is unknown, so a wrong name takes as long as a wrong password.
let decoy: Promise<string> | undefined;

/** Console accounts, logins (with lock-out), sessions and the audit log. */
export class ConsoleAccounts {
  readonly accounts: AccountRepo;
  private readonly sessions: SessionRepo;
  private readonly auditLog: AuditRepo;

  constructor(
    db: Db,
    private readonly clock: Clock,
    private readonly policy: AccountPolicy,
  ) {
    this.accounts = new AccountRepo(db);
    this.sessions = new SessionRepo(db);
    this.auditLog = new AuditRepo(db);
  }

  /** Creates an account; a bad name, role or password is a 400, a taken name a 409. */
  async add(name: string, role: string, password: string, language: Lang = 'en'): Promise<AccountRow> {
    if (!ACCOUNT_NAME.test(name)) throw badRequest('NAME_INVALID', 'A name is 2 to 64 letters, digits, dots, dashes, underscores or @, starting with a letter or digit.');
    if (!ROLES.includes(role as Role)) throw badRequest('ROLE_INVALID', `The role must be one of ${ROLES.join(', ')}.`);
    this.checkPassword(password);
    if (this.accounts.byName(name)) throw conflict('NAME_TAKEN', `There is already an account named ${name}.`);
    const passwordHash = await hashPassword(password);
    // Checked again after the await: another request may have taken the name meanwhile.
    if (this.accounts.byName(name)) throw conflict('NAME_TAKEN', `There is already an account named ${name}.`);
    const now = this.clock.now();
    return this.accounts.insert({ name, role: role as Role, passwordHash, language, createdAt: now, updatedAt: now });
  }

  /** Checks a name and password, counting wrong passwords and locking the account at the configured limit. */
  async login(name: string, password: string): Promise<LoginResult> {
    const account = this.accounts.byName(name);
    if (!account || account.disabled) {
      decoy ??= hashPassword('not a password of anyone');
      await verifyPassword(password, await decoy);
      return { ok: false, reason: 'wrong' };
    }
    const now = this.clock.now();
    if (account.lockedUntil !== null && account.lockedUntil > now) return { ok: false, reason: 'locked', lockedUntil: account.lockedUntil };
    if (await verifyPassword(password, account.passwordHash)) {
      if (account.failedLogins > 0 || account.lockedUntil !== null) this.accounts.update(account.id, { failedLogins: 0, lockedUntil: null, updatedAt: now });
      return { ok: true, account };
    }
    const failures = this.accounts.recordFailure(account.id, now);
    if (failures >= this.policy.lockout.attempts) {
      const lockedUntil = now + this.policy.lockout.minutes * MINUTE;
      this.accounts.update(account.id, { failedLogins: 0, lockedUntil, updatedAt: now });
      this.audit(account.name, 'login.locked', account.name, { failures });
      return { ok: false, reason: 'locked', lockedUntil };
    }
    return { ok: false, reason: 'wrong' };
  }

  /** Starts a session: the cookie's token (only its hash is stored) and the session's CSRF token. */
  startSession(accountId: number): { token: string; csrf: string; expiresAt: number } {
    const now = this.clock.now();
    this.sessions.removeExpired(now);
    const token = randomBytes(32).toString('base64url');
    const csrf = randomBytes(24).toString('base64url');
    const expiresAt = now + this.policy.sessionHours * HOUR;
    this.sessions.insert({ id: sha256(token), accountId, csrf, createdAt: now, expiresAt });
    return { token, csrf, expiresAt };
  }

  /** The account and CSRF token of a live session, or undefined. */
  session(token: string): { account: AccountRow; csrf: string } | undefined {
    const row = this.sessions.live(sha256(token), this.clock.now());
    return row && { account: row.account, csrf: row.session.csrf };
  }

  endSession(token: string): void {
    this.sessions.remove(sha256(token));
  }

  /** Changes an account's role, language, password or enabled state; role, password and disabling end its sessions. */
  async change(name: string, change: { role?: string; language?: Lang; password?: string; disabled?: boolean; unlock?: boolean }): Promise<AccountRow> {
    const account = this.accounts.byName(name);
    if (!account) throw notFound('ACCOUNT_NOT_FOUND', `There is no account named ${name}.`);
    if (change.role !== undefined && !ROLES.includes(change.role as Role)) throw badRequest('ROLE_INVALID', `The role must be one of ${ROLES.join(', ')}.`);
    if (change.password !== undefined) this.checkPassword(change.password);
    // The console must keep an admin who can log in, or nobody could manage accounts but on the command line.
    const losesAdmin = account.role === 'admin' && !account.disabled && ((change.role !== undefined && change.role !== 'admin') || change.disabled === true);
    if (losesAdmin && this.accounts.enabledAdmins() <= 1) throw conflict('LAST_ADMIN', `${name} is the last admin; make another account an admin first.`);
    const set: Partial<AccountRow> = { updatedAt: this.clock.now() };
    if (change.role !== undefined) set.role = change.role as Role;
    if (change.language !== undefined) set.language = change.language;
    if (change.disabled !== undefined) set.disabled = change.disabled;
    if (change.unlock) Object.assign(set, { failedLogins: 0, lockedUntil: null });
    if (change.password !== undefined) set.passwordHash = await hashPassword(change.password);
    this.accounts.update(account.id, set);
    if (change.role !== undefined || change.password !== undefined || change.disabled) this.sessions.removeForAccount(account.id);
    return this.accounts.byId(account.id) as AccountRow;
  }

  /** Records who changed what. */
  audit(accountName: string, action: string, target?: string | null, detail?: Record<string, unknown>): void {
    this.auditLog.append({ at: this.clock.now(), accountName, action, target: target ?? null, detail: detail ?? null });
  }

  /** The audit log, newest first, optionally only one account's entries or one family of actions. */
  auditPage(limit: number, before?: number, filter?: AuditFilter) {
    return this.auditLog.page(limit, before, filter);
  }

  private checkPassword(password: string): void {
    const problem = passwordProblem(password);
    if (problem === 'too_short') throw badRequest('PASSWORD_TOO_SHORT', 'A password has at least 10 characters.');
    if (problem === 'too_long') throw badRequest('PASSWORD_TOO_LONG', 'A password has at most 200 characters.');
  }
}
