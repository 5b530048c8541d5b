import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { crmFindings } from '../db/schema';
import { name, prepare, type Prepared } from '../db/statement';
import { newId } from '../lib/ids';
import { fields, type Stored } from '../reports/stores/rollup-store';
import type { FindingDraft, FindingKind } from './detectors/types';

/** A stored finding, its detail decoded. */
export type FindingRow = Omit<typeof crmFindings.$inferSelect, 'kind'> & { kind: FindingKind };

type InsertParams = Pick<FindingRow, 'id' | 'subscriberId' | 'kind' | 'dedupeKey' | 'reason' | 'serviceId' | 'detectedAt' | 'notBefore' | 'expiresAt'> & { detail: string };

const f = crmFindings;

/** Findings: stored once per situation (unique key), one open per subscriber and kind, acted on once. */
export class FindingsRepo {
  private readonly ins: Prepared<never, InsertParams>;
  private readonly dueStmt: Prepared<Stored<FindingRow, 'detail'>, { now: number; limit: number }>;
  private readonly expireStmt: Prepared<never, { now: number }>;
  private readonly ineligibleStmt: Prepared<never, { id: string; now: number; reason: string }>;
  private readonly deferStmt: Prepared<never, { id: string; notBefore: number }>;
  private readonly doneStmt: Prepared<never, { id: string; status: string; interventionId: string }>;

  constructor(db: Db) {
    const p = (k: string) => sql.placeholder(k);
    this.ineligibleStmt = prepare(
      db,
      sql`UPDATE ${f} SET ${name(f.status)} = 'ineligible', ${name(f.closedAt)} = ${p('now')}, ${name(f.detail)} = json_set(${f.detail}, '$.ineligible', ${p('reason')}) WHERE ${f.id} = ${p('id')}`,
    );
    this.deferStmt = prepare(db, sql`UPDATE ${f} SET ${name(f.notBefore)} = ${p('notBefore')} WHERE ${f.id} = ${p('id')}`);
    this.doneStmt = prepare(db, sql`UPDATE ${f} SET ${name(f.status)} = ${p('status')}, ${name(f.interventionId)} = ${p('interventionId')} WHERE ${f.id} = ${p('id')}`);
    this.expireStmt = prepare(db, sql`UPDATE ${f} SET ${name(f.status)} = 'expired', ${name(f.closedAt)} = ${p('now')} WHERE ${f.status} = 'open' AND ${f.expiresAt} <= ${p('now')}`);
    this.ins = prepare(
      db,
      sql`INSERT OR IGNORE INTO ${f} (${name(f.id)}, ${name(f.subscriberId)}, ${name(f.kind)}, ${name(f.dedupeKey)}, ${name(f.status)}, ${name(f.reason)}, ${name(f.serviceId)}, ${name(f.detail)}, ${name(f.detectedAt)}, ${name(f.notBefore)}, ${name(f.expiresAt)})
          VALUES (${p('id')}, ${p('subscriberId')}, ${p('kind')}, ${p('dedupeKey')}, 'open', ${p('reason')}, ${p('serviceId')}, ${p('detail')}, ${p('detectedAt')}, ${p('notBefore')}, ${p('expiresAt')})`,
    );
    // In not_before order, which the (status, not_before) index gives without sorting all open findings.
    this.dueStmt = prepare(
      db,
      sql`SELECT ${fields({
        id: f.id,
        subscriberId: f.subscriberId,
        kind: f.kind,
        dedupeKey: f.dedupeKey,
        status: f.status,
        reason: f.reason,
        serviceId: f.serviceId,
        detail: f.detail,
        detectedAt: f.detectedAt,
        notBefore: f.notBefore,
        expiresAt: f.expiresAt,
        closedAt: f.closedAt,
        interventionId: f.interventionId,
      })} FROM ${f} WHERE ${f.status} = 'open' AND ${f.notBefore} <= ${p('now')} ORDER BY ${f.notBefore} LIMIT ${p('limit')}`,
    );
  }

  /** Stores a finding unless the same situation was found before or one of its kind is open; returns its id or null. */
  insert(d: FindingDraft, now: number, ttlMs: number): string | null {
    const id = newId('fnd', now);
    const changed = this.ins.run({
      id,
      subscriberId: d.subscriberId,
      kind: d.kind,
      dedupeKey: d.dedupeKey,
      reason: d.reason,
      serviceId: d.serviceId,
      detail: JSON.stringify(d.detail),
      detectedAt: now,
      notBefore: now,
      expiresAt: now + ttlMs,
    });
    return changed === 1 ? id : null;
  }

  /** Open findings whose cool-down is over, oldest first. */
  due(now: number, limit: number): FindingRow[] {
    return this.dueStmt.all({ now, limit }).map((row) => ({ ...row, detail: JSON.parse(row.detail) as Record<string, unknown> }));
  }

  /** Findings nobody could act on in time are closed as expired. */
  expire(now: number): number {
    return this.expireStmt.run({ now });
  }

  /** Closes a finding that cannot be acted on (opted out, no channel). */
  ineligible(id: string, reason: string, now: number): void {
    this.ineligibleStmt.run({ id, now, reason });
  }

  /** Waits for a cool-down: acted on no earlier than `notBefore`. */
  defer(id: string, notBefore: number): void {
    this.deferStmt.run({ id, notBefore });
  }

  /** Records what was done (acted or held out); the finding stays open while its outcome is measured. */
  done(id: string, status: 'acted' | 'holdout', interventionId: string): void {
    this.doneStmt.run({ id, status, interventionId });
  }
}
