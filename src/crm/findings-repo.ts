import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/client';
import { newId } from '../lib/ids';
import type { FindingDraft, FindingKind } from './detectors/types';

export interface FindingRow {
  id: string;
  subscriber_id: number;
  kind: FindingKind;
  dedupe_key: string;
  status: string;
  reason: string;
  service_id: string | null;
  detail: string;
  detected_at: number;
  not_before: number;
  expires_at: number;
  closed_at: number | null;
  intervention_id: string | null;
}

/** Findings: stored once per situation (unique key), one open per subscriber and kind, acted on once. */
export class FindingsRepo {
  private readonly ins: Statement;
  private readonly dueStmt: Statement<[number, number], FindingRow>;
  private readonly ineligibleStmt: Statement;
  private readonly deferStmt: Statement;
  private readonly doneStmt: Statement;

  constructor(private readonly db: Db) {
    this.ineligibleStmt = db.$client.prepare("UPDATE crm_findings SET status = 'ineligible', closed_at = ?, detail = json_set(detail, '$.ineligible', ?) WHERE id = ?");
    this.deferStmt = db.$client.prepare('UPDATE crm_findings SET not_before = ? WHERE id = ?');
    this.doneStmt = db.$client.prepare('UPDATE crm_findings SET status = ?, intervention_id = ? WHERE id = ?');
    this.ins = db.$client.prepare(`INSERT OR IGNORE INTO crm_findings (id, subscriber_id, kind, dedupe_key, status, reason, service_id, detail, detected_at, not_before, expires_at)
      VALUES (?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?)`);
    // In not_before order, which the (status, not_before) index gives without sorting all open findings.
    this.dueStmt = db.$client.prepare("SELECT * FROM crm_findings WHERE status = 'open' AND not_before <= ? ORDER BY not_before LIMIT ?");
  }

  /** Stores a finding unless the same situation was found before or one of its kind is open; returns its id or null. */
  insert(d: FindingDraft, now: number, ttlMs: number): string | null {
    const id = newId('fnd', now);
    const r = this.ins.run(id, d.subscriberId, d.kind, d.dedupeKey, d.reason, d.serviceId, JSON.stringify(d.detail), now, now, now + ttlMs);
    return r.changes === 1 ? id : null;
  }

  /** Open findings whose cool-down is over, oldest first. */
  due(now: number, limit: number): FindingRow[] {
    return this.dueStmt.all(now, limit);
  }

  /** Findings nobody could act on in time are closed as expired. */
  expire(now: number): number {
    return this.db.$client.prepare("UPDATE crm_findings SET status = 'expired', closed_at = ? WHERE status = 'open' AND expires_at <= ?").run(now, now).changes;
  }

  /** Closes a finding that cannot be acted on (opted out, no channel). */
  ineligible(id: string, reason: string, now: number): void {
    this.ineligibleStmt.run(now, reason, id);
  }

  /** Waits for a cool-down: acted on no earlier than `notBefore`. */
  defer(id: string, notBefore: number): void {
    this.deferStmt.run(notBefore, id);
  }

  /** Records what was done (acted or held out); the finding stays open while its outcome is measured. */
  done(id: string, status: 'acted' | 'holdout', interventionId: string): void {
    this.doneStmt.run(status, interventionId, id);
  }
}
