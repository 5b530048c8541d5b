import type { Db } from '../db/client';
import { DAY } from '../lib/clock';

/** How long after a window ends late events (receipts, delayed billing notifications) may still count. */
export const OUTCOME_GRACE_MS = DAY;

interface Open {
  id: string;
  at: number;
  windowEndsAt: number;
  reachedContentAt: number | null;
  returnedAt: number | null;
  renewedAt: number | null;
  revenueMinor: number;
  dirty: boolean;
}

/**
 * Outcomes of interventions still inside their window, updated from the same events the detectors read:
 * did the subscriber come back, reach content, renew (and how much they paid) after we acted, or after we
 * deliberately did not (the holdout)? Both arms are measured identically.
 */
export class OutcomeTracker {
  private readonly bySub = new Map<number, Open[]>();

  constructor(private readonly db: Db) {}

  /** Loads the interventions whose outcome window is still open. */
  load(): number {
    const rows = this.db.$client
      .prepare('SELECT id, subscriber_id, at, window_ends_at, reached_content_at, returned_at, renewed_at, revenue_minor FROM crm_interventions WHERE outcome_closed = 0')
      .all() as { id: string; subscriber_id: number; at: number; window_ends_at: number; reached_content_at: number | null; returned_at: number | null; renewed_at: number | null; revenue_minor: number }[];
    for (const r of rows) {
      const list = this.bySub.get(r.subscriber_id) ?? [];
      list.push({ id: r.id, at: r.at, windowEndsAt: r.window_ends_at, reachedContentAt: r.reached_content_at, returnedAt: r.returned_at, renewedAt: r.renewed_at, revenueMinor: r.revenue_minor, dirty: false });
      this.bySub.set(r.subscriber_id, list);
    }
    return rows.length;
  }

  /** Whether the subscriber has an intervention being measured (a cheap check on the hot path). */
  has(sub: number): boolean {
    return this.bySub.has(sub);
  }

  private each(sub: number, at: number, fn: (o: Open) => void): void {
    const list = this.bySub.get(sub);
    if (!list) return;
    for (const o of list) {
      if (at > o.at && at <= o.windowEndsAt) {
        fn(o);
        o.dirty = true;
      }
    }
  }

  /** The subscriber started a session (came back). */
  returned(sub: number, at: number): void {
    this.each(sub, at, (o) => {
      if (o.returnedAt === null || at < o.returnedAt) o.returnedAt = at;
    });
  }

  /** The subscriber reached content. */
  reachedContent(sub: number, at: number): void {
    this.each(sub, at, (o) => {
      if (o.reachedContentAt === null || at < o.reachedContentAt) o.reachedContentAt = at;
    });
  }

  /** A successful charge (renewal or new subscription). */
  charged(sub: number, at: number, amountMinor: number): void {
    this.each(sub, at, (o) => {
      if (o.renewedAt === null || at < o.renewedAt) o.renewedAt = at;
      o.revenueMinor += amountMinor;
    });
  }

  /** Writes changed outcomes (inside a transaction). */
  flush(): number {
    const stmt = this.db.$client.prepare('UPDATE crm_interventions SET reached_content_at = ?, returned_at = ?, renewed_at = ?, revenue_minor = ? WHERE id = ?');
    let n = 0;
    for (const list of this.bySub.values()) {
      for (const o of list) {
        if (!o.dirty) continue;
        stmt.run(o.reachedContentAt, o.returnedAt, o.renewedAt, o.revenueMinor, o.id);
        o.dirty = false;
        n++;
      }
    }
    return n;
  }
}

/** Closes outcome windows that ended before `now` minus a grace for late events; returns how many. */
export function closeOutcomeWindows(db: Db, now: number, graceMs = OUTCOME_GRACE_MS): number {
  const c = db.$client;
  const due = c.prepare('SELECT id, finding_id FROM crm_interventions WHERE outcome_closed = 0 AND window_ends_at <= ?').all(now - graceMs) as { id: string; finding_id: string }[];
  const closeIntervention = c.prepare('UPDATE crm_interventions SET outcome_closed = 1 WHERE id = ?');
  // A finding stays open (no new finding of its kind for the subscriber) while its outcome is measured.
  const closeFinding = c.prepare('UPDATE crm_findings SET closed_at = ? WHERE id = ? AND closed_at IS NULL');
  for (const r of due) {
    closeIntervention.run(r.id);
    closeFinding.run(now, r.finding_id);
  }
  return due.length;
}
