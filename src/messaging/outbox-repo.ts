import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { messageParts, messages, pendingReceipts } from '../db/schema';
import { selectList } from '../db/select-list';
import { name, prepare, type Prepared } from '../db/statement';
import type { SmsEncoding } from './encoding';
import type { MessageKind, MessageStatus } from './types';

/**
 * One outbox row as the messaging domain uses it: the schema's row, with the text columns that hold
 * one of the domain's values narrowed to them. `subscriberId` is null for an address with no profile
 * (a reply to a short code).
 */
export type MessageRow = Omit<typeof messages.$inferSelect, 'kind' | 'status' | 'encoding'> & { kind: MessageKind; status: MessageStatus; encoding: SmsEncoding };

/** A part the SMSC accepted. */
export type PartRow = typeof messageParts.$inferSelect;

/** A pending (early) receipt. */
export type PendingReceiptRow = Pick<typeof pendingReceipts.$inferSelect, 'id' | 'stat' | 'err' | 'receivedAt'>;

/** What a new outbox row is written with (the rest starts empty: no attempt, no error, not sent). */
export type NewMessage = Pick<
  MessageRow,
  'id' | 'subscriberId' | 'msisdn' | 'sender' | 'text' | 'kind' | 'source' | 'sourceRef' | 'status' | 'reason' | 'operator' | 'encoding' | 'parts' | 'concatRef' | 'dueAt' | 'expiresAt' | 'receiptRequested' | 'createdAt' | 'finalAt'
>;

/** A position in a lane's claim order (due time, then insertion order). */
export interface ClaimPosition {
  dueAt: number;
  rowid: number;
}

/** A claimed row with its place in the lane's order (handed on as is: copying it to drop `rid` costs more than carrying it). */
type Claimed = MessageRow & { rid: number };

const NEW_MESSAGE_COLUMNS = [
  'id', 'subscriberId', 'msisdn', 'sender', 'text', 'kind', 'source', 'sourceRef', 'status', 'reason', 'operator', 'encoding', 'parts',
  'concatRef', 'dueAt', 'expiresAt', 'receiptRequested', 'createdAt', 'finalAt',
] as const satisfies ReadonlyArray<keyof NewMessage>;

const p = (n: string) => sql.placeholder(n);
const m = messages;
const mp = messageParts;
const pr = pendingReceipts;
const MESSAGE = selectList(m);
const PART = selectList(mp);

/**
 * Data access for the outbox, parts and early receipts. Every statement is prepared once: the
 * dispatcher runs these thousands of times a second. Rows come back in the schema's shape (the select
 * lists alias columns to its property names), so no row is mapped in JavaScript.
 */
export class OutboxRepo {
  private readonly s: {
    insert: Prepared<never, NewMessage>;
    byId: Prepared<MessageRow, { id: string }>;
    promoCount: Prepared<{ n: number }, { subscriberId: number; since: number }>;
    promoCounts: Prepared<{ id: number; n: number }, { ids: string; since: number }>;
    claim: Prepared<Claimed, { operator: string; now: number; limit: number }>;
    claimNoOperator: Prepared<Claimed, { now: number; limit: number }>;
    claimAfter: Prepared<Claimed, { operator: string; now: number; dueAt: number; rowid: number; limit: number }>;
    claimNoOperatorAfter: Prepared<Claimed, { now: number; dueAt: number; rowid: number; limit: number }>;
    release: Prepared<never, { id: string; dueAt: number; at: number; error: string | null; errorCode: number | null; bindId: string | null }>;
    sent: Prepared<never, { id: string; reason: string | null; bindId: string; at: number }>;
    setStatus: Prepared<never, { id: string; status: MessageStatus; at: number }>;
    finalize: Prepared<never, { id: string; status: MessageStatus; bump: number; at: number; error: string | null; errorCode: number | null; bindId: string | null; deliveredAt: number | null }>;
    insertPart: Prepared<never, { messageId: string; seq: number; smsc: string; smscId: string; bindId: string; at: number }>;
    partsOf: Prepared<PartRow, { messageId: string }>;
    partBySmscId: Prepared<PartRow, { smsc: string; smscId: string }>;
    updatePart: Prepared<never, { messageId: string; seq: number; status: string; stat: string; err: string | null; at: number }>;
    countParts: Prepared<{ total: number; delivered: number }, { messageId: string }>;
    insertPending: Prepared<never, { smsc: string; smscId: string; stat: string; err: string | null; at: number }>;
    pendingFor: Prepared<PendingReceiptRow, { smsc: string; smscId: string }>;
    deletePending: Prepared<never, { id: number }>;
    pendingCount: Prepared<{ n: number }>;
    prunePending: Prepared<never, { before: number }>;
    expireQueued: Prepared<MessageRow, { now: number }>;
    expireSent: Prepared<MessageRow, { now: number }>;
    queueDepth: Prepared<{ status: string; n: number }>;
    receiptsDue: Prepared<MessageRow, { source: string; limit: number }>;
    receiptSent: Prepared<never, { id: string; at: number }>;
  };

  constructor(db: Db) {
    const claimFrom = sql`SELECT rowid AS rid, ${MESSAGE} FROM ${m} WHERE ${m.status} = 'queued'`;
    // From a position (due_at, rowid) on: the index is ordered so, and rows before it are held already.
    const after = sql`(${m.dueAt}, rowid) > (${p('dueAt')}, ${p('rowid')})`;
    const claimOrder = sql`ORDER BY ${m.dueAt}, rowid LIMIT ${p('limit')}`;
    this.s = {
      insert: prepare(
        db,
        sql`INSERT INTO ${m} (${sql.join(NEW_MESSAGE_COLUMNS.map((k) => name(m[k])), sql`, `)}, ${name(m.updatedAt)})
          VALUES (${sql.join(NEW_MESSAGE_COLUMNS.map((k) => p(k)), sql`, `)}, ${p('createdAt')})`,
      ),
      byId: prepare(db, sql`SELECT ${MESSAGE} FROM ${m} WHERE ${m.id} = ${p('id')}`),
      promoCount: prepare(
        db,
        sql`SELECT count(*) AS n FROM ${m} WHERE ${m.subscriberId} = ${p('subscriberId')} AND ${m.createdAt} >= ${p('since')}
          AND ${m.kind} = 'promotional' AND ${m.status} <> 'blocked'`,
      ),
      // One grouped query for a bulk send: an index seek per listed subscriber.
      promoCounts: prepare(
        db,
        sql`SELECT ${m.subscriberId} AS id, count(*) AS n FROM ${m} WHERE ${m.subscriberId} IN (SELECT value FROM json_each(${p('ids')}))
          AND ${m.createdAt} >= ${p('since')} AND ${m.kind} = 'promotional' AND ${m.status} <> 'blocked' GROUP BY ${m.subscriberId}`,
      ),
      claim: prepare(db, sql`${claimFrom} AND ${m.operator} = ${p('operator')} AND ${m.dueAt} <= ${p('now')} ${claimOrder}`),
      claimNoOperator: prepare(db, sql`${claimFrom} AND ${m.operator} IS NULL AND ${m.dueAt} <= ${p('now')} ${claimOrder}`),
      claimAfter: prepare(db, sql`${claimFrom} AND ${m.operator} = ${p('operator')} AND ${m.dueAt} <= ${p('now')} AND ${after} ${claimOrder}`),
      claimNoOperatorAfter: prepare(db, sql`${claimFrom} AND ${m.operator} IS NULL AND ${m.dueAt} <= ${p('now')} AND ${after} ${claimOrder}`),
      release: prepare(
        db,
        sql`UPDATE ${m} SET ${name(m.dueAt)} = ${p('dueAt')}, ${name(m.error)} = coalesce(${p('error')}, ${m.error}),
          ${name(m.errorCode)} = coalesce(${p('errorCode')}, ${m.errorCode}), ${name(m.bindId)} = coalesce(${p('bindId')}, ${m.bindId}),
          ${name(m.attempts)} = ${m.attempts} + 1, ${name(m.updatedAt)} = ${p('at')} WHERE ${m.id} = ${p('id')} AND ${m.status} = 'queued'`,
      ),
      sent: prepare(
        db,
        sql`UPDATE ${m} SET ${name(m.status)} = 'sent', ${name(m.reason)} = ${p('reason')}, ${name(m.bindId)} = ${p('bindId')},
          ${name(m.attempts)} = ${m.attempts} + 1, ${name(m.sentAt)} = ${p('at')}, ${name(m.updatedAt)} = ${p('at')}
          WHERE ${m.id} = ${p('id')} AND ${m.status} = 'queued'`,
      ),
      setStatus: prepare(db, sql`UPDATE ${m} SET ${name(m.status)} = ${p('status')}, ${name(m.updatedAt)} = ${p('at')} WHERE ${m.id} = ${p('id')}`),
      finalize: prepare(
        db,
        sql`UPDATE ${m} SET ${name(m.status)} = ${p('status')}, ${name(m.attempts)} = ${m.attempts} + ${p('bump')},
          ${name(m.error)} = coalesce(${p('error')}, ${m.error}), ${name(m.errorCode)} = coalesce(${p('errorCode')}, ${m.errorCode}),
          ${name(m.bindId)} = coalesce(${p('bindId')}, ${m.bindId}), ${name(m.deliveredAt)} = ${p('deliveredAt')},
          ${name(m.finalAt)} = ${p('at')}, ${name(m.updatedAt)} = ${p('at')} WHERE ${m.id} = ${p('id')}`,
      ),
      insertPart: prepare(
        db,
        sql`INSERT INTO ${mp} (${name(mp.messageId)}, ${name(mp.seq)}, ${name(mp.smsc)}, ${name(mp.smscId)}, ${name(mp.bindId)}, ${name(mp.status)}, ${name(mp.submittedAt)})
          VALUES (${p('messageId')}, ${p('seq')}, ${p('smsc')}, ${p('smscId')}, ${p('bindId')}, 'sent', ${p('at')})
          ON CONFLICT (${name(mp.messageId)}, ${name(mp.seq)}) DO UPDATE SET ${name(mp.smsc)} = excluded.${name(mp.smsc)},
            ${name(mp.smscId)} = excluded.${name(mp.smscId)}, ${name(mp.bindId)} = excluded.${name(mp.bindId)}, ${name(mp.status)} = 'sent',
            ${name(mp.submittedAt)} = excluded.${name(mp.submittedAt)}`,
      ),
      partsOf: prepare(db, sql`SELECT ${PART} FROM ${mp} WHERE ${mp.messageId} = ${p('messageId')} ORDER BY ${mp.seq}`),
      partBySmscId: prepare(db, sql`SELECT ${PART} FROM ${mp} WHERE ${mp.smsc} = ${p('smsc')} AND ${mp.smscId} = ${p('smscId')} ORDER BY ${mp.submittedAt} DESC LIMIT 1`),
      updatePart: prepare(
        db,
        sql`UPDATE ${mp} SET ${name(mp.status)} = ${p('status')}, ${name(mp.dlrStat)} = ${p('stat')}, ${name(mp.dlrErr)} = ${p('err')}, ${name(mp.doneAt)} = ${p('at')}
          WHERE ${mp.messageId} = ${p('messageId')} AND ${mp.seq} = ${p('seq')}`,
      ),
      countParts: prepare(
        db,
        sql`SELECT count(*) AS total, coalesce(sum(${mp.status} = 'delivered'), 0) AS delivered FROM ${mp} WHERE ${mp.messageId} = ${p('messageId')}`,
      ),
      insertPending: prepare(
        db,
        sql`INSERT INTO ${pr} (${name(pr.smsc)}, ${name(pr.smscId)}, ${name(pr.stat)}, ${name(pr.err)}, ${name(pr.receivedAt)})
          VALUES (${p('smsc')}, ${p('smscId')}, ${p('stat')}, ${p('err')}, ${p('at')})`,
      ),
      pendingFor: prepare(
        db,
        sql`SELECT ${selectList(pr, ['id', 'stat', 'err', 'receivedAt'])} FROM ${pr} WHERE ${pr.smsc} = ${p('smsc')} AND ${pr.smscId} = ${p('smscId')} ORDER BY ${pr.id}`,
      ),
      deletePending: prepare(db, sql`DELETE FROM ${pr} WHERE ${pr.id} = ${p('id')}`),
      pendingCount: prepare(db, sql`SELECT count(*) AS n FROM ${pr}`),
      prunePending: prepare(db, sql`DELETE FROM ${pr} WHERE ${pr.receivedAt} < ${p('before')}`),
      expireQueued: prepare(
        db,
        sql`UPDATE ${m} SET ${name(m.status)} = 'expired', ${name(m.finalAt)} = ${p('now')}, ${name(m.updatedAt)} = ${p('now')},
          ${name(m.reason)} = coalesce(${m.reason}, 'validity') WHERE ${m.status} = 'queued' AND ${m.expiresAt} <= ${p('now')} RETURNING ${MESSAGE}`,
      ),
      expireSent: prepare(
        db,
        sql`UPDATE ${m} SET ${name(m.status)} = 'expired', ${name(m.finalAt)} = ${p('now')}, ${name(m.updatedAt)} = ${p('now')}, ${name(m.reason)} = 'no_receipt'
          WHERE ${m.status} = 'sent' AND ${m.expiresAt} <= ${p('now')} AND ${m.reason} IS NULL RETURNING ${MESSAGE}`,
      ),
      queueDepth: prepare(db, sql`SELECT ${m.status} AS status, count(*) AS n FROM ${m} WHERE ${m.status} IN ('queued', 'sent') GROUP BY ${m.status}`),
      receiptsDue: prepare(
        db,
        sql`SELECT ${MESSAGE} FROM ${m} WHERE ${m.source} = ${p('source')} AND ${m.receiptRequested} > 0 AND ${m.receiptSentAt} IS NULL
          AND ${m.finalAt} IS NOT NULL ORDER BY ${m.finalAt} LIMIT ${p('limit')}`,
      ),
      receiptSent: prepare(db, sql`UPDATE ${m} SET ${name(m.receiptSentAt)} = ${p('at')} WHERE ${m.id} = ${p('id')}`),
    };
  }

  /** Inserts a new message row. */
  insert(r: NewMessage): void {
    // Bound positionally, in NEW_MESSAGE_COLUMNS order then updated_at: filling 20 named placeholders
    // per row is a tenth of an insert, and a campaign fan-out inserts a million.
    this.s.insert.statement.run(r.id, r.subscriberId, r.msisdn, r.sender, r.text, r.kind, r.source, r.sourceRef, r.status, r.reason, r.operator, r.encoding, r.parts,
      r.concatRef, r.dueAt, r.expiresAt, r.receiptRequested, r.createdAt, r.finalAt, r.createdAt);
  }

  /** The message or null. */
  get(id: string): MessageRow | null {
    return this.s.byId.get({ id }) ?? null;
  }

  /** Promotional messages (not blocked) to a subscriber created since `since`. */
  promotionalSince(subscriberId: number, since: number): number {
    return this.s.promoCount.get({ subscriberId, since })!.n;
  }

  /** `promotionalSince` for many subscribers at once; those with none are left out of the map. */
  promotionalCounts(subscriberIds: readonly number[], since: number): Map<number, number> {
    const out = new Map<number, number>();
    if (subscriberIds.length === 0) return out;
    for (const r of this.s.promoCounts.all({ ids: JSON.stringify(subscriberIds), since })) out.set(r.id, r.n);
    return out;
  }

  /**
   * Up to `limit` due queued messages of a lane, oldest due first, leaving out those the caller holds
   * already (`held`: they are at the head of the lane, so the query reads past them).
   */
  claim(operator: string | null, now: number, limit: number, held: ReadonlySet<string>): { rows: MessageRow[]; last: ClaimPosition | null } {
    const n = limit + held.size;
    const raw = operator === null ? this.s.claimNoOperator.all({ now, limit: n }) : this.s.claim.all({ operator, now, limit: n });
    const rows: MessageRow[] = [];
    let last: ClaimPosition | null = null;
    // `last` is the last row looked at: every due row up to it is now held or returned.
    for (const r of raw) {
      last = { dueAt: r.dueAt, rowid: r.rid };
      if (held.has(r.id)) continue;
      rows.push(r);
      if (rows.length >= limit) break;
    }
    return { rows, last };
  }

  /**
   * Like `claim`, but only rows after `after` (a position a previous claim returned), so rows held at
   * the head of the lane are not read again. Returns the rows and the position of the last one.
   */
  claimAfter(operator: string | null, now: number, limit: number, after: ClaimPosition, held: ReadonlySet<string>): { rows: MessageRow[]; last: ClaimPosition } {
    const at = { now, dueAt: after.dueAt, rowid: after.rowid, limit };
    const raw = operator === null ? this.s.claimNoOperatorAfter.all(at) : this.s.claimAfter.all({ ...at, operator });
    const rows: MessageRow[] = [];
    for (const r of raw) if (!held.has(r.id)) rows.push(r);
    const tail = raw[raw.length - 1];
    return { rows, last: tail ? { dueAt: tail.dueAt, rowid: tail.rid } : after };
  }

  /** An attempt failed for now: the message stays queued, due again at `dueAt`. */
  retryLater(q: { id: string; dueAt: number; at: number; error?: string | null; errorCode?: number | null; bindId?: string | null }): void {
    this.s.release.run({ id: q.id, dueAt: q.dueAt, at: q.at, error: q.error ?? null, errorCode: q.errorCode ?? null, bindId: q.bindId ?? null });
  }

  /** Every part accepted: the message is `sent` (awaiting a receipt or not). Returns false if it was no longer queued. */
  markSent(id: string, bindId: string, at: number, awaitReceipt = true): boolean {
    // A bind that asks for no receipts leaves its messages `sent` for good: they must not expire.
    // Positional, in the statement's placeholder order (reason, bindId, at, at, id): this runs per message sent.
    return this.s.sent.statement.run(awaitReceipt ? null : 'no_receipt_requested', bindId, at, at, id).changes > 0;
  }

  /** Sets a final status (delivered, failed, expired); `attempt` counts an attempt that ended here. */
  finalize(q: { id: string; status: MessageStatus; at: number; error?: string | null; errorCode?: number | null; bindId?: string | null; attempt?: boolean }): void {
    this.s.finalize.run({
      bump: q.attempt ? 1 : 0,
      id: q.id,
      status: q.status,
      at: q.at,
      error: q.error ?? null,
      errorCode: q.errorCode ?? null,
      bindId: q.bindId ?? null,
      deliveredAt: q.status === 'delivered' ? q.at : null,
    });
  }

  /** Sets the status without other changes. */
  setStatus(id: string, status: MessageStatus, at: number): void {
    this.s.setStatus.run({ id, status, at });
  }

  /** Records a part the SMSC accepted. */
  insertPart(part: { messageId: string; seq: number; smsc: string; smscId: string; bindId: string; at: number }): void {
    // Positional, in the statement's placeholder order: this runs per part sent.
    this.s.insertPart.statement.run(part.messageId, part.seq, part.smsc, part.smscId, part.bindId, part.at);
  }

  /** Parts accepted so far. */
  parts(messageId: string): PartRow[] {
    return this.s.partsOf.all({ messageId });
  }

  /** The part an SMSC id names, or null. */
  partBySmscId(smsc: string, smscId: string): PartRow | null {
    return this.s.partBySmscId.get({ smsc, smscId }) ?? null;
  }

  /** Updates a part from a receipt. */
  updatePart(part: { messageId: string; seq: number; status: string; stat: string; err: string | null; at: number }): void {
    this.s.updatePart.run(part);
  }

  /** Parts recorded and parts delivered. */
  partCounts(messageId: string): { total: number; delivered: number } {
    return this.s.countParts.get({ messageId })!;
  }

  /** Keeps a receipt whose part is not known yet. */
  insertPending(r: { smsc: string; smscId: string; stat: string; err: string | null; at: number }): void {
    this.s.insertPending.run(r);
  }

  /** Early receipts for an SMSC id. */
  pendingFor(smsc: string, smscId: string): PendingReceiptRow[] {
    return this.s.pendingFor.all({ smsc, smscId });
  }

  /** Removes an early receipt once applied. */
  deletePending(id: number): void {
    this.s.deletePending.run({ id });
  }

  /** How many early receipts wait. */
  pendingCount(): number {
    return this.s.pendingCount.get()!.n;
  }

  /** Drops early receipts older than `before` (their submit never got an id). */
  prunePending(before: number): number {
    return this.s.prunePending.run({ before });
  }

  /** Expires queued messages past validity and sent ones never confirmed; returns them. */
  expire(now: number): MessageRow[] {
    return [...this.s.expireQueued.all({ now }), ...this.s.expireSent.all({ now })];
  }

  /** Messages waiting to be sent and waiting for a receipt. */
  depth(): { queued: number; sent: number } {
    const out = { queued: 0, sent: 0 };
    for (const r of this.s.queueDepth.all()) if (r.status === 'queued' || r.status === 'sent') out[r.status] = r.n;
    return out;
  }

  /** Final messages of a source whose receipt was asked for and not yet handed over. */
  receiptsDue(source: string, limit: number): MessageRow[] {
    return this.s.receiptsDue.all({ source, limit });
  }

  /** Marks a partner receipt as handed over. */
  markReceiptSent(id: string, at: number): void {
    this.s.receiptSent.run({ id, at });
  }
}
