import { sqliteTable, integer, text, index, uniqueIndex } from 'drizzle-orm/sqlite-core';

// The web console (issue 14): accounts with roles, their login sessions, and the audit log. Times are epoch ms.

/** A console account: a person on the content team, an analyst or an admin. */
export const consoleAccounts = sqliteTable(
  'console_accounts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    name: text('name').notNull(),
    role: text('role', { enum: ['viewer', 'editor', 'admin'] }).notNull(),
    /** scrypt, self-describing: `scrypt$N$r$p$salt$hash` (src/console/auth/password.ts). */
    passwordHash: text('password_hash').notNull(),
    /** The console's language for this account (en or sw). */
    language: text('language').notNull(),
    /** Wrong passwords since the last good one; reaching the configured limit locks the account. */
    failedLogins: integer('failed_logins').notNull().default(0),
    lockedUntil: integer('locked_until'),
    disabled: integer('disabled', { mode: 'boolean' }).notNull().default(false),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [uniqueIndex('console_accounts_name_uq').on(t.name)],
);

/** A logged-in browser. The cookie holds a random token; only its SHA-256 is stored. */
export const consoleSessions = sqliteTable(
  'console_sessions',
  {
    id: text('id').primaryKey(),
    accountId: integer('account_id')
      .notNull()
      .references(() => consoleAccounts.id, { onDelete: 'cascade' }),
    /** The token every form of this session carries (CSRF). */
    csrf: text('csrf').notNull(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('console_sessions_account_idx').on(t.accountId)],
);

/** Who changed what in the console, kept when the account is later removed. */
export const consoleAudit = sqliteTable(
  'console_audit',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: integer('at').notNull(),
    accountName: text('account_name').notNull(),
    /** What was done, e.g. `campaign.pause`, `account.add`, `login.locked`. */
    action: text('action').notNull(),
    /** What it was done to (a campaign id, an account name), when there is one thing. */
    target: text('target'),
    detail: text('detail', { mode: 'json' }).$type<Record<string, unknown>>(),
  },
  (t) => [index('console_audit_at_idx').on(t.at)],
);
