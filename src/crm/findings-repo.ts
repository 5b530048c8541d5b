import { sql, type SQL } from 'drizzle-orm';
import type { Database, Statement, Tx } from '../db/database';
import { json } from '../db/portable';
import { crmFindings } from '../db/schema';
import { name } from '../db/statement';
import { newId } from '../lib/ids';
import { fields } from '../reports/stores/rollup-store';
import type { FindingDraft, FindingKind } from './detectors/types';

/** A stored finding, its detail decoded. */
export type FindingRow = Omit<typeof crmFindings.$inferSelect, 'kind'> & { kind: FindingKind };

type InsertParams = Pick<FindingRow, 'id' | 'subscriberId' | 'kind' | 'dedupeKey' | 'reason' | 'serviceId' | 'detectedAt' | 'notBefore' | 'expiresAt'> & { detail: string };
type IneligibleParams = { id: string; now: number; reason: string };
type DeferParams = { id: string; notBefore: number };
type DoneParams = { id: string; status: string; interventionId: string };

const f = crmFindings;
const p = (k: string) => sql.placeholder(k);

/**
 * A finding is stored unless its situation (dedupe key) was found before or one of its kind is open for
 * the subscriber: both are unique indexes, so the insert itself decides, and two passes can never store
 * one finding twice.
 */
const INSERT = sql`INSERT INTO ${f} (${name(f.id)}, ${name(f.subscriberId)}, ${name(f.kind)}, ${name(f.dedupeKey)}, ${name(f.status)}, ${name(f.reason)}, ${name(f.serviceId)}, ${name(f.detail)}, ${name(f.detectedAt)}, ${name(f.notBefore)}, ${name(f.expiresAt)})
  VALUES (${p('id')}, ${p('subscriberId')}, ${p('kind')}, ${p('dedupeKey')}, 'open', ${p('reason')}, ${p('serviceId')}, ${p('detail')}, ${p('detectedAt')}, ${p('notBefore')}, ${p('expiresAt')})
  ON CONFLICT DO NOTHING`;
const DEFER = sql`UPDATE ${f} SET ${name(f.notBefore)} = ${p('notBefore')} WHERE ${f.id} = ${p('id')}`;
const DONE = sql`UPDATE ${f} SET ${name(f.status)} = ${p('status')}, ${name(f.interventionId)} = ${p('interventionId')} WHERE ${f.id} = ${p('id')}`;

/** The reason a finding could not be acted on, kept in its detail (`ineligible`): jsonb has no json_set. */
function withIneligible(dialect: Database['dialect']): SQL {
  return dialect === 'sqlite' ? sql`json_set(${f.detail}, '$.ineligible', ${p('reason')})` : sql`(${f.detail} || jsonb_build_object('ineligible', ${p('reason')}::text))`;
}
const ineligible = (detail: SQL) => sql`UPDATE ${f} SET ${name(f.status)} = 'ineligible', ${name(f.closedAt)} = ${p('now')}, ${name(f.detail)} = ${detail} WHERE ${f.id} = ${p('id')}`;

/**
 * Findings: stored once per situation (unique key), one open per subscriber and kind, acted on once.
 * Written in units of work on either engine.
 */
export class FindingsRepo {
  private readonly insertStmt: Statement<{ id: string }, InsertParams>;
  private readonly dueStmt: Statement<FindingRow, { now: number; limit: number }>;
  private readonly expireStmt: Statement<never, { now: number }>;
  private readonly ineligibleStmt: Statement<never, IneligibleParams>;
  private readonly deferStmt: Statement<never, DeferParams>;
  private readonly doneStmt: Statement<never, DoneParams>;

  constructor(database: Database) {
    this.insertStmt = database.statement(sql`${INSERT} RETURNING ${f.id} AS "id"`);
    this.deferStmt = database.statement(DEFER);
    this.doneStmt = database.statement(DONE);
    this.ineligibleStmt = database.statement(ineligible(withIneligible(database.dialect)));
    this.expireStmt = database.statement(sql`UPDATE ${f} SET ${name(f.status)} = 'expired', ${name(f.closedAt)} = ${p('now')} WHERE ${f.status} = 'open' AND ${f.expiresAt} <= ${p('now')}`);
    // In not_before order, which the (status, not_before) index gives without sorting all open findings.
    this.dueStmt = database.statement(
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

  /** Stores a finding in unit `tx` unless the same situation was found before or one of its kind is open; its id or null. */
  async insertIn(tx: Tx, d: FindingDraft, now: number, ttlMs: number): Promise<string | null> {
    const row = await this.insertStmt.get(insertParams(d, now, ttlMs), tx);
    return row?.id ?? null;
  }

  /** Open findings whose cool-down is over, oldest first (claims nothing: the pass lease keeps passes apart). */
  async due(now: number, limit: number, tx?: Tx): Promise<FindingRow[]> {
    const rows = await this.dueStmt.all({ now, limit }, tx);
    return rows.map((row) => ({ ...row, detail: json<Record<string, unknown>>(row.detail) }));
  }

  /** Findings nobody could act on in time are closed as expired, in unit `tx`. */
  expire(now: number, tx: Tx): Promise<number> {
    return this.expireStmt.run({ now }, tx);
  }

  /** Closes a finding that cannot be acted on (opted out, no channel), in unit `tx`. */
  async ineligibleIn(tx: Tx, id: string, reason: string, now: number): Promise<void> {
    await this.ineligibleStmt.run({ id, now, reason }, tx);
  }

  /** Waits for a cool-down: acted on no earlier than `notBefore` (in unit `tx`). */
  async deferIn(tx: Tx, id: string, notBefore: number): Promise<void> {
    await this.deferStmt.run({ id, notBefore }, tx);
  }

  /** Records what was done (acted or held out), in unit `tx`; the finding stays open while its outcome is measured. */
  async doneIn(tx: Tx, id: string, status: 'acted' | 'holdout', interventionId: string): Promise<void> {
    await this.doneStmt.run({ id, status, interventionId }, tx);
  }
}

function insertParams(d: FindingDraft, now: number, ttlMs: number): InsertParams {
  return {
    id: newId('fnd', now),
    subscriberId: d.subscriberId,
    kind: d.kind,
    dedupeKey: d.dedupeKey,
    reason: d.reason,
    serviceId: d.serviceId,
    detail: JSON.stringify(d.detail),
    detectedAt: now,
    notBefore: now,
    expiresAt: now + ttlMs,
  };
}
