import { createHash, randomBytes } from 'node:crypto';
import type { Database, Tx, UnitOfWork } from '../../db/database';
import type { Clock } from '../../lib/clock';
import { MINUTE, HOUR } from '../../lib/clock';
import { badRequest, conflict, notFound } from '../../lib/errors';
import { AccountRepo, ROLES, type AccountChange, type AccountRow, type Role } from './account-repo';
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

/** A session just started: the cookie's token (only its hash is stored) and the session's CSRF token. */
export interface NewSession {
  token: string;
  csrf: string;
  expiresAt: number;
}

/** What the accounts are stored through: the database for both engines and its units of work. */
export interface AccountsStorage {
  database: Database;
  units: UnitOfWork;
}

/** A change to an account, as the accounts page and the language switch ask for it. */
export interface AccountChangeRequest {
  role?: string;
  language?: Lang;
  password?: string;
  disabled?: boolean;
  unlock?: boolean;
}

/** Who is doing something, for the audit entry written in the same unit. */
export interface Actor {
  name: string;
  action: string;
  detail?: Record<string, unknown> | undefined;
}

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

/**
 * Console accounts, logins (with lock-out), sessions and the audit log. Every request's writes are one
 * unit of work, its audit entry included, so an entry is never kept for a change that was not (or lost
 * for one that was). Hashing a password is slow and happens before the unit: a unit awaits only the
 * database.
 */
export class ConsoleAccounts {
  readonly accounts: AccountRepo;
  private readonly sessions: SessionRepo;
  private readonly auditLog: AuditRepo;
  private readonly units: UnitOfWork;

  constructor(
    storage: AccountsStorage,
    private readonly clock: Clock,
    private readonly policy: AccountPolicy,
  ) {
    this.units = storage.units;
    this.accounts = new AccountRepo(storage.database);
    this.sessions = new SessionRepo(storage.database);
    this.auditLog = new AuditRepo(storage.database);
  }

  /**
   * Creates an account and audits it as done by `by`; a bad name, role or password is a 400, a taken
   * name a 409.
   */
  async add(name: string, role: string, password: string, language: Lang = 'en', by?: string): Promise<AccountRow> {
    if (!ACCOUNT_NAME.test(name)) throw badRequest('NAME_INVALID', 'A name is 2 to 64 letters, digits, dots, dashes, underscores or @, starting with a letter or digit.');
    if (!ROLES.includes(role as Role)) throw badRequest('ROLE_INVALID', `The role must be one of ${ROLES.join(', ')}.`);
    this.checkPassword(password);
    if (await this.accounts.byName(name)) throw conflict('NAME_TAKEN', `There is already an account named ${name}.`);
    const passwordHash = await hashPassword(password);
    return this.units.unit(async (tx) => {
      const now = this.clock.now();
      // The unique name decides: another request may have taken it while the password was hashed.
      const account = await this.accounts.insert({ name, role: role as Role, passwordHash, language, createdAt: now, updatedAt: now }, tx);
      if (!account) throw conflict('NAME_TAKEN', `There is already an account named ${name}.`);
      if (by !== undefined) await this.auditIn(tx, by, 'account.add', account.name, { role: account.role, language });
      return account;
    });
  }

  /** Checks a name and password, counting wrong passwords and locking the account at the configured limit. */
  login(name: string, password: string): Promise<LoginResult> {
    return this.check(name, password, async () => undefined);
  }

  /**
   * A login from the sign-in form: checks the name and password as {@link login} does and, when they are
   * right, starts a session and audits the login in the same unit as the reset of the failure count.
   */
  async signIn(name: string, password: string): Promise<(LoginResult & { ok: false }) | { ok: true; account: AccountRow; session: NewSession }> {
    let session: NewSession | undefined;
    const result = await this.check(name, password, async (tx, account) => {
      session = await this.startSessionIn(tx, account.id);
      await this.auditIn(tx, account.name, 'login');
    });
    return result.ok ? { ...result, session: session as NewSession } : result;
  }

  /** Checks a login; `onSuccess` writes in the unit that clears the failure count. */
  private async check(name: string, password: string, onSuccess: (tx: Tx, account: AccountRow) => Promise<void>): Promise<LoginResult> {
    const account = await this.accounts.byName(name);
    if (!account || account.disabled) {
      decoy ??= hashPassword('not a password of anyone');
      await verifyPassword(password, await decoy);
      return { ok: false, reason: 'wrong' };
    }
    const now = this.clock.now();
    if (account.lockedUntil !== null && account.lockedUntil > now) return { ok: false, reason: 'locked', lockedUntil: account.lockedUntil };
    if (await verifyPassword(password, account.passwordHash)) {
      await this.units.unit(async (tx) => {
        if (account.failedLogins > 0 || account.lockedUntil !== null) await this.accounts.update(account.id, { failedLogins: 0, lockedUntil: null }, now, tx);
        await onSuccess(tx, account);
      });
      return { ok: true, account };
    }
    return this.units.unit(async (tx): Promise<LoginResult> => {
      const failures = await this.accounts.recordFailure(account.id, now, tx);
      if (failures < this.policy.lockout.attempts) return { ok: false, reason: 'wrong' };
      const lockedUntil = now + this.policy.lockout.minutes * MINUTE;
      await this.accounts.update(account.id, { failedLogins: 0, lockedUntil }, now, tx);
      await this.auditIn(tx, account.name, 'login.locked', account.name, { failures });
      return { ok: false, reason: 'locked', lockedUntil };
    });
  }

  /** Starts a session for an account in a unit of its own. */
  startSession(accountId: number): Promise<NewSession> {
    return this.units.unit((tx) => this.startSessionIn(tx, accountId));
  }

  /** The account and CSRF token of a live session, or undefined. */
  session(token: string): Promise<{ account: AccountRow; csrf: string } | undefined> {
    return this.sessions.live(sha256(token), this.clock.now());
  }

  /** Ends a session (logout) and audits it as done by `by`. */
  endSession(token: string, by: string): Promise<void> {
    return this.units.unit(async (tx) => {
      await this.sessions.remove(sha256(token), tx);
      await this.auditIn(tx, by, 'logout');
    });
  }

  /**
   * Changes an account's role, language, password or enabled state; role, password and disabling end
   * its sessions. The change and `actor`'s audit entry (when given) are one unit.
   */
  async change(name: string, change: AccountChangeRequest, actor?: Actor): Promise<AccountRow> {
    if (change.role !== undefined && !ROLES.includes(change.role as Role)) throw badRequest('ROLE_INVALID', `The role must be one of ${ROLES.join(', ')}.`);
    if (change.password !== undefined) this.checkPassword(change.password);
    const passwordHash = change.password !== undefined ? await hashPassword(change.password) : undefined;
    return this.units.unit(async (tx) => {
      const account = await this.accounts.byName(name, tx);
      if (!account) throw notFound('ACCOUNT_NOT_FOUND', `There is no account named ${name}.`);
      // The console must keep an admin who can log in, or nobody could manage accounts but on the command line.
      const losesAdmin = account.role === 'admin' && !account.disabled && ((change.role !== undefined && change.role !== 'admin') || change.disabled === true);
      if (losesAdmin && (await this.accounts.enabledAdmins(tx)) <= 1) throw conflict('LAST_ADMIN', `${name} is the last admin; make another account an admin first.`);
      const set: AccountChange = {};
      if (change.role !== undefined) set.role = change.role as Role;
      if (change.language !== undefined) set.language = change.language;
      if (change.disabled !== undefined) set.disabled = change.disabled;
      if (change.unlock) Object.assign(set, { failedLogins: 0, lockedUntil: null });
      if (passwordHash !== undefined) set.passwordHash = passwordHash;
      await this.accounts.update(account.id, set, this.clock.now(), tx);
      if (change.role !== undefined || change.password !== undefined || change.disabled) await this.sessions.removeForAccount(account.id, tx);
      if (actor) await this.auditIn(tx, actor.name, actor.action, account.name, actor.detail);
      return (await this.accounts.byId(account.id, tx)) as AccountRow;
    });
  }

  /** Records who changed what inside unit `tx` (the change's own unit). */
  auditIn(tx: Tx, accountName: string, action: string, target?: string | null, detail?: Record<string, unknown>): Promise<void> {
    return this.auditLog.append({ at: this.clock.now(), accountName, action, target: target ?? null, detail: detail ?? null }, tx);
  }

  /** Records who did what in a unit of its own (something that wrote nothing else, or wrote elsewhere). */
  record(accountName: string, action: string, target?: string | null, detail?: Record<string, unknown>): Promise<void> {
    return this.units.unit((tx) => this.auditIn(tx, accountName, action, target, detail));
  }

  /** The audit log, newest first, optionally only one account's entries or one family of actions. */
  auditPage(limit: number, before?: number, filter?: AuditFilter) {
    return this.auditLog.page(limit, before, filter);
  }

  private async startSessionIn(tx: Tx, accountId: number): Promise<NewSession> {
    const now = this.clock.now();
    await this.sessions.removeExpired(now, tx);
    const token = randomBytes(32).toString('base64url');
    const csrf = randomBytes(24).toString('base64url');
    const expiresAt = now + this.policy.sessionHours * HOUR;
    await this.sessions.insert({ id: sha256(token), accountId, csrf, createdAt: now, expiresAt }, tx);
    return { token, csrf, expiresAt };
  }

  private checkPassword(password: string): void {
    const problem = passwordProblem(password);
    if (problem === 'too_short') throw badRequest('PASSWORD_TOO_SHORT', 'A password has at least 10 characters.');
    if (problem === 'too_long') throw badRequest('PASSWORD_TOO_LONG', 'A password has at most 200 characters.');
  }
}
