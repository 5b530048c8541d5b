import type { Db } from '../db/client';

/** Small persistent values of the CRM (cursor, last checks) and the pass lease. */
export class CrmState {
  constructor(private readonly db: Db) {}

  /** A stored value, or `fallback`. */
  get<T>(key: string, fallback: T): T {
    const r = this.db.$client.prepare('SELECT value FROM crm_state WHERE key = ?').get(key) as { value: string | null } | undefined;
    return r && r.value !== null ? (JSON.parse(r.value) as T) : fallback;
  }

  /** Stores a value. */
  set(key: string, value: unknown, now: number): void {
    this.db.$client
      .prepare('INSERT INTO crm_state (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at')
      .run(key, JSON.stringify(value), now);
  }

  /**
   * Claims the pass lease for `owner` until `expiresAt`, atomically in the database: a second process (or a
   * CLI run next to the server) gets false while a live pass holds it. An expired lease is taken over.
   */
  claim(owner: string, now: number, expiresAt: number): boolean {
    const r = this.db.$client
      .prepare(
        `INSERT INTO crm_state (key, value, owner, expires_at, updated_at) VALUES ('pass_lease', NULL, ?, ?, ?)
         ON CONFLICT(key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at, updated_at = excluded.updated_at
         WHERE crm_state.owner IS NULL OR crm_state.expires_at IS NULL OR crm_state.expires_at <= ? OR crm_state.owner = excluded.owner`,
      )
      .run(owner, expiresAt, now, now);
    return r.changes === 1;
  }

  /** Gives the lease back. */
  release(owner: string): void {
    this.db.$client.prepare("UPDATE crm_state SET owner = NULL, expires_at = NULL WHERE key = 'pass_lease' AND owner = ?").run(owner);
  }
}
