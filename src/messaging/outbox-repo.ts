import { sql, type SQL } from 'drizzle-orm';
import type { Database, Dialect, Statement, Tx } from '../db/database';
import { forUpdateSkipLocked, jsonArrayIds } from '../db/portable';
import { messageParts, messages, pendingReceipts } from '../db/schema';
import { selectList } from '../db/select-list';
import { name } from '../db/statement';
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

/** An early receipt with the SMSC id it names. */
export type WaitingReceiptRow = PendingReceiptRow & Pick<typeof pendingReceipts.$inferSelect, 'smsc' | 'smscId'>;

/** What a new outbox row is written with (the rest starts empty: no attempt, no error, not sent). */
export type NewMessage = Pick<
  MessageRow,
  'id' | 'subscriberId' | 'msisdn' | 'sender' | 'text' | 'kind' | 'source' | 'sourceRef' | 'status' | 'reason' | 'operator' | 'encoding' | 'parts' | 'concatRef' | 'dueAt' | 'expiresAt' | 'receiptRequested' | 'createdAt' | 'finalAt'
>;

/**
 * A position in a lane's claim order: due time, then a tie-break that follows insertion (SQLite's rowid,
 * which the due index carries; on PostgreSQL the message id, time-ordered by construction).
 */
export interface ClaimPosition {
  dueAt: number;
  tie: number | string;
}

/** A claimed row with its place in the lane's order (handed on as is: copying it to drop `tie` costs more than carrying it). */
type Claimed = MessageRow & { tie: number | string };

type Part = { messageId: string; seq: number; smsc: string; smscId: string; bindId: string; at: number };
type Finalize = { id: string; status: MessageStatus; bump: number; at: number; error: string | null; errorCode: number | null; bindId: string | null; deliveredAt: number | null };
type ClaimParams = { now: number; limit: number; owner: string; until: number };
type Release = { id: string; dueAt: number; at: number; error: string | null; errorCode: number | null; bindId: string | null };

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

/** Claimed rows in the lane's order: RETURNING gives no order. */
function inClaimOrder(rows: Claimed[]): Claimed[] {
  return rows.sort((a, b) => a.dueAt - b.dueAt || (a.tie < b.tie ? -1 : a.tie > b.tie ? 1 : 0));
}

/**
 * Data access for the outbox, parts and early receipts, on either engine (src/db/database.ts): reads
 * return promises, writes take the caller's unit of work. Every statement is prepared once: the
 * dispatcher runs these thousands of times a second. Rows come back in the schema's shape (the select
 * lists alias columns to its property names), so no row is mapped in JavaScript.
 */
export class OutboxRepo {
  private readonly s: {
    insert: Statement<never, NewMessage>;
    byId: Statement<MessageRow, { id: string }>;
    promoCount: Statement<{ n: number }, { subscriberId: number; since: number }>;
    promoCounts: Statement<{ id: number; n: number }, { ids: string; since: number }>;
    claim: Statement<Claimed, ClaimParams & { operator: string }>;
    claimNoOperator: Statement<Claimed, ClaimParams>;
    claimAfter: Statement<Claimed, ClaimParams & { operator: string; dueAt: number; tie: number | string }>;
    claimNoOperatorAfter: Statement<Claimed, ClaimParams & { dueAt: number; tie: number | string }>;
    release: Statement<never, Release & { owner: string }>;
    releaseAll: Statement<never, { owner: string }>;
    sent: Statement<never, { id: string; reason: string | null; bindId: string; at: number; owner: string }>;
    finalizeClaimed: Statement<never, Finalize & { owner: string }>;
    setStatus: Statement<never, { id: string; status: MessageStatus; at: number }>;
    finalize: Statement<never, Finalize>;
    insertPart: Statement<never, Part>;
    partsOf: Statement<PartRow, { messageId: string }>;
    partBySmscId: Statement<PartRow, { smsc: string; smscId: string }>;
    updatePart: Statement<never, { messageId: string; seq: number; status: string; stat: string; err: string | null; at: number }>;
    countParts: Statement<{ total: number; delivered: number }, { messageId: string }>;
    insertPending: Statement<never, { smsc: string; smscId: string; stat: string; err: string | null; at: number }>;
    pendingFor: Statement<PendingReceiptRow, { smsc: string; smscId: string }>;
    waiting: Statement<WaitingReceiptRow, { limit: number }>;
    deletePending: Statement<never, { id: number }>;
    pendingCount: Statement<{ n: number }>;
    prunePending: Statement<never, { before: number }>;
    expireQueued: Statement<MessageRow, { now: number }>;
    expireSent: Statement<MessageRow, { now: number }>;
    queueDepth: Statement<{ status: string; n: number }>;
    receiptsDue: Statement<MessageRow, { source: string; limit: number }>;
    receiptSent: Statement<never, { id: string; at: number }>;
  };
  /** The engine: on PostgreSQL other gateway processes write the same tables. */
  readonly dialect: Dialect;

  constructor(database: Database) {
    this.dialect = database.dialect;
    // SQLite's due index carries the rowid, so (due_at, rowid) is read in index order; PostgreSQL has no
    // rowid and the message id (time-ordered) breaks ties there.
    const tie = database.dialect === 'sqlite' ? sql`rowid` : sql`${m.id}`;
    // Due, queued, and free: never claimed, claimed by this process (rows it let go of without an
    // outcome; the caller leaves out those it still holds), or held by a process whose lease ran out.
    const due = sql`${m.status} = 'queued' AND ${m.dueAt} <= ${p('now')}
      AND (${m.claimedBy} IS NULL OR ${m.claimedBy} = ${p('owner')} OR ${m.claimExpiresAt} <= ${p('now')})`;
    // From a position (due_at, tie) on: the index is ordered so, and rows before it are held already.
    const after = sql` AND (${m.dueAt}, ${tie}) > (${p('dueAt')}, ${p('tie')})`;
    // One statement, atomic on both engines: the rows are picked and marked together, and on PostgreSQL
    // a process claiming at the same time skips the rows this one is taking.
    const claimOf = (lane: SQL, from: SQL) =>
      sql`UPDATE ${m} SET ${name(m.claimedBy)} = ${p('owner')}, ${name(m.claimExpiresAt)} = ${p('until')}
        WHERE ${m.id} IN (SELECT ${m.id} FROM ${m} WHERE ${lane} AND ${due}${from} ORDER BY ${m.dueAt}, ${tie} LIMIT ${p('limit')}${forUpdateSkipLocked(database.dialect)})
        RETURNING ${tie} AS "tie", ${MESSAGE}`;
    const byOperator = sql`${m.operator} = ${p('operator')}`;
    const noOperator = sql`${m.operator} IS NULL`;
    // Only the process holding the claim writes an outcome, and the outcome lets go of the claim.
    const mine = sql`${m.claimedBy} = ${p('owner')}`;
    const unclaimed = sql`${name(m.claimedBy)} = NULL, ${name(m.claimExpiresAt)} = NULL`;
    const insert = sql`INSERT INTO ${m} (${sql.join(NEW_MESSAGE_COLUMNS.map((k) => name(m[k])), sql`, `)}, ${name(m.updatedAt)})
      VALUES (${sql.join(NEW_MESSAGE_COLUMNS.map((k) => p(k)), sql`, `)}, ${p('createdAt')})`;
    const promoCount = sql`SELECT count(*) AS "n" FROM ${m} WHERE ${m.subscriberId} = ${p('subscriberId')} AND ${m.createdAt} >= ${p('since')}
      AND ${m.kind} = 'promotional' AND ${m.status} <> 'blocked'`;
    const st = <Row, P extends Record<string, unknown> = Record<string, never>>(q: ReturnType<typeof sql>) => database.statement<Row, P>(q);
    this.s = {
      insert: st(insert),
      byId: st(sql`SELECT ${MESSAGE} FROM ${m} WHERE ${m.id} = ${p('id')}`),
      promoCount: st(promoCount),
      // One grouped query for a bulk send: an index seek per listed subscriber.
      promoCounts: st(
        sql`SELECT ${m.subscriberId} AS "id", count(*) AS "n" FROM ${m} WHERE ${m.subscriberId} IN ${jsonArrayIds(database.dialect, p('ids'))}
          AND ${m.createdAt} >= ${p('since')} AND ${m.kind} = 'promotional' AND ${m.status} <> 'blocked' GROUP BY ${m.subscriberId}`,
      ),
      claim: st(claimOf(byOperator, sql``)),
      claimNoOperator: st(claimOf(noOperator, sql``)),
      claimAfter: st(claimOf(byOperator, after)),
      claimNoOperatorAfter: st(claimOf(noOperator, after)),
      release: st(
        sql`UPDATE ${m} SET ${name(m.dueAt)} = ${p('dueAt')}, ${name(m.error)} = coalesce(${p('error')}, ${m.error}),
          ${name(m.errorCode)} = coalesce(${p('errorCode')}, ${m.errorCode}), ${name(m.bindId)} = coalesce(${p('bindId')}, ${m.bindId}),
          ${name(m.attempts)} = ${m.attempts} + 1, ${name(m.updatedAt)} = ${p('at')}, ${unclaimed}
          WHERE ${m.id} = ${p('id')} AND ${m.status} = 'queued' AND ${mine}`,
      ),
      releaseAll: st(sql`UPDATE ${m} SET ${unclaimed} WHERE ${m.status} = 'queued' AND ${mine}`),
      sent: st(
        sql`UPDATE ${m} SET ${name(m.status)} = 'sent', ${name(m.reason)} = ${p('reason')}, ${name(m.bindId)} = ${p('bindId')},
          ${name(m.attempts)} = ${m.attempts} + 1, ${name(m.sentAt)} = ${p('at')}, ${name(m.updatedAt)} = ${p('at')}, ${unclaimed}
          WHERE ${m.id} = ${p('id')} AND ${m.status} = 'queued' AND ${mine}`,
      ),
      finalizeClaimed: st(
        sql`UPDATE ${m} SET ${name(m.status)} = ${p('status')}, ${name(m.attempts)} = ${m.attempts} + ${p('bump')},
          ${name(m.error)} = coalesce(${p('error')}, ${m.error}), ${name(m.errorCode)} = coalesce(${p('errorCode')}, ${m.errorCode}),
          ${name(m.bindId)} = coalesce(${p('bindId')}, ${m.bindId}), ${name(m.deliveredAt)} = ${p('deliveredAt')},
          ${name(m.finalAt)} = ${p('at')}, ${name(m.updatedAt)} = ${p('at')}, ${unclaimed}
          WHERE ${m.id} = ${p('id')} AND ${m.finalAt} IS NULL AND ${mine}`,
      ),
      setStatus: st(sql`UPDATE ${m} SET ${name(m.status)} = ${p('status')}, ${name(m.updatedAt)} = ${p('at')} WHERE ${m.id} = ${p('id')}`),
      finalize: st(
        sql`UPDATE ${m} SET ${name(m.status)} = ${p('status')}, ${name(m.attempts)} = ${m.attempts} + ${p('bump')},
          ${name(m.error)} = coalesce(${p('error')}, ${m.error}), ${name(m.errorCode)} = coalesce(${p('errorCode')}, ${m.errorCode}),
          ${name(m.bindId)} = coalesce(${p('bindId')}, ${m.bindId}), ${name(m.deliveredAt)} = ${p('deliveredAt')},
          ${name(m.finalAt)} = ${p('at')}, ${name(m.updatedAt)} = ${p('at')} WHERE ${m.id} = ${p('id')}`,
      ),
      insertPart: st(
        sql`INSERT INTO ${mp} (${name(mp.messageId)}, ${name(mp.seq)}, ${name(mp.smsc)}, ${name(mp.smscId)}, ${name(mp.bindId)}, ${name(mp.status)}, ${name(mp.submittedAt)})
          VALUES (${p('messageId')}, ${p('seq')}, ${p('smsc')}, ${p('smscId')}, ${p('bindId')}, 'sent', ${p('at')})
          ON CONFLICT (${name(mp.messageId)}, ${name(mp.seq)}) DO UPDATE SET ${name(mp.smsc)} = excluded.${name(mp.smsc)},
            ${name(mp.smscId)} = excluded.${name(mp.smscId)}, ${name(mp.bindId)} = excluded.${name(mp.bindId)}, ${name(mp.status)} = 'sent',
            ${name(mp.submittedAt)} = excluded.${name(mp.submittedAt)}`,
      ),
      partsOf: st(sql`SELECT ${PART} FROM ${mp} WHERE ${mp.messageId} = ${p('messageId')} ORDER BY ${mp.seq}`),
      partBySmscId: st(sql`SELECT ${PART} FROM ${mp} WHERE ${mp.smsc} = ${p('smsc')} AND ${mp.smscId} = ${p('smscId')} ORDER BY ${mp.submittedAt} DESC LIMIT 1`),
      updatePart: st(
        sql`UPDATE ${mp} SET ${name(mp.status)} = ${p('status')}, ${name(mp.dlrStat)} = ${p('stat')}, ${name(mp.dlrErr)} = ${p('err')}, ${name(mp.doneAt)} = ${p('at')}
          WHERE ${mp.messageId} = ${p('messageId')} AND ${mp.seq} = ${p('seq')}`,
      ),
      countParts: st(
        sql`SELECT count(*) AS "total", count(*) FILTER (WHERE ${mp.status} = 'delivered') AS "delivered" FROM ${mp} WHERE ${mp.messageId} = ${p('messageId')}`,
      ),
      insertPending: st(
        sql`INSERT INTO ${pr} (${name(pr.smsc)}, ${name(pr.smscId)}, ${name(pr.stat)}, ${name(pr.err)}, ${name(pr.receivedAt)})
          VALUES (${p('smsc')}, ${p('smscId')}, ${p('stat')}, ${p('err')}, ${p('at')})`,
      ),
      pendingFor: st(
        sql`SELECT ${selectList(pr, ['id', 'stat', 'err', 'receivedAt'])} FROM ${pr} WHERE ${pr.smsc} = ${p('smsc')} AND ${pr.smscId} = ${p('smscId')} ORDER BY ${pr.id}`,
      ),
      waiting: st(sql`SELECT ${selectList(pr, ['id', 'smsc', 'smscId', 'stat', 'err', 'receivedAt'])} FROM ${pr} ORDER BY ${pr.id} LIMIT ${p('limit')}`),
      deletePending: st(sql`DELETE FROM ${pr} WHERE ${pr.id} = ${p('id')}`),
      pendingCount: st(sql`SELECT count(*) AS "n" FROM ${pr}`),
      prunePending: st(sql`DELETE FROM ${pr} WHERE ${pr.receivedAt} < ${p('before')}`),
      expireQueued: st(
        sql`UPDATE ${m} SET ${name(m.status)} = 'expired', ${name(m.finalAt)} = ${p('now')}, ${name(m.updatedAt)} = ${p('now')},
          ${name(m.reason)} = coalesce(${m.reason}, 'validity') WHERE ${m.status} = 'queued' AND ${m.expiresAt} <= ${p('now')} RETURNING ${MESSAGE}`,
      ),
      expireSent: st(
        sql`UPDATE ${m} SET ${name(m.status)} = 'expired', ${name(m.finalAt)} = ${p('now')}, ${name(m.updatedAt)} = ${p('now')}, ${name(m.reason)} = 'no_receipt'
          WHERE ${m.status} = 'sent' AND ${m.expiresAt} <= ${p('now')} AND ${m.reason} IS NULL RETURNING ${MESSAGE}`,
      ),
      queueDepth: st(sql`SELECT ${m.status} AS "status", count(*) AS "n" FROM ${m} WHERE ${m.status} IN ('queued', 'sent') GROUP BY ${m.status}`),
      receiptsDue: st(
        sql`SELECT ${MESSAGE} FROM ${m} WHERE ${m.source} = ${p('source')} AND ${m.receiptRequested} > 0 AND ${m.receiptSentAt} IS NULL
          AND ${m.finalAt} IS NOT NULL ORDER BY ${m.finalAt}, ${m.id} LIMIT ${p('limit')}`,
      ),
      receiptSent: st(sql`UPDATE ${m} SET ${name(m.receiptSentAt)} = ${p('at')} WHERE ${m.id} = ${p('id')}`),
    };
  }

  /** Inserts a new message row inside unit `tx`. */
  async insertIn(r: NewMessage, tx: Tx): Promise<void> {
    await this.s.insert.run(r, tx);
  }

  /** The message or null (inside `tx` when given: it sees the unit's own writes). */
  async get(id: string, tx?: Tx): Promise<MessageRow | null> {
    return (await this.s.byId.get({ id }, tx)) ?? null;
  }

  /** Promotional messages (not blocked) to a subscriber created since `since`, as unit `tx` sees them. */
  async promotionalSinceIn(subscriberId: number, since: number, tx: Tx): Promise<number> {
    return (await this.s.promoCount.get({ subscriberId, since }, tx))!.n;
  }

  /** `promotionalSinceIn` for many subscribers at once, as unit `tx` sees them; those with none are left out of the map. */
  async promotionalCountsIn(subscriberIds: readonly number[], since: number, tx: Tx): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    if (subscriberIds.length === 0) return out;
    for (const r of await this.s.promoCounts.all({ ids: JSON.stringify(subscriberIds), since }, tx)) out.set(r.id, r.n);
    return out;
  }

  /**
   * Claims up to `limit` due queued messages of a lane for `lease.owner` until `lease.until`, oldest due
   * first, in one statement (see the constructor): rows another process holds under a live lease are
   * left alone, and one whose lease ran out (its process died) is taken over. Rows the caller holds
   * already (`held`: at the head of the lane) are read past, and their lease is renewed.
   */
  async claim(
    operator: string | null,
    now: number,
    limit: number,
    held: ReadonlySet<string>,
    lease: { owner: string; until: number },
    tx: Tx,
  ): Promise<{ rows: MessageRow[]; last: ClaimPosition | null }> {
    const at = { now, limit: limit + held.size, owner: lease.owner, until: lease.until };
    const raw = operator === null ? await this.s.claimNoOperator.all(at, tx) : await this.s.claim.all({ ...at, operator }, tx);
    const rows: MessageRow[] = [];
    let last: ClaimPosition | null = null;
    // `last` is the last row looked at: every due row up to it is now held or returned.
    for (const r of inClaimOrder(raw)) {
      last = { dueAt: r.dueAt, tie: r.tie };
      if (held.has(r.id)) continue;
      rows.push(r);
    }
    return { rows, last };
  }

  /**
   * Like `claim`, but only rows after `after` (a position a previous claim returned), so rows held at
   * the head of the lane are not read again. Returns the rows and the position of the last one.
   */
  async claimAfter(
    operator: string | null,
    now: number,
    limit: number,
    after: ClaimPosition,
    held: ReadonlySet<string>,
    lease: { owner: string; until: number },
    tx: Tx,
  ): Promise<{ rows: MessageRow[]; last: ClaimPosition }> {
    const at = { now, dueAt: after.dueAt, tie: after.tie, limit, owner: lease.owner, until: lease.until };
    const raw = inClaimOrder(operator === null ? await this.s.claimNoOperatorAfter.all(at, tx) : await this.s.claimAfter.all({ ...at, operator }, tx));
    const rows: MessageRow[] = [];
    for (const r of raw) if (!held.has(r.id)) rows.push(r);
    const tail = raw[raw.length - 1];
    return { rows, last: tail ? { dueAt: tail.dueAt, tie: tail.tie } : after };
  }

  /** An attempt failed for now: the message stays queued, due again at `dueAt`, and `owner` lets go of it. */
  async retryLater(
    q: { id: string; dueAt: number; at: number; error?: string | null; errorCode?: number | null; bindId?: string | null },
    owner: string,
    tx: Tx,
  ): Promise<void> {
    await this.s.release.run({ id: q.id, dueAt: q.dueAt, at: q.at, error: q.error ?? null, errorCode: q.errorCode ?? null, bindId: q.bindId ?? null, owner }, tx);
  }

  /** `owner` lets go of every queued message it holds (shutting down): another process may claim them at once. */
  async releaseAll(owner: string, tx: Tx): Promise<number> {
    return this.s.releaseAll.run({ owner }, tx);
  }

  /**
   * Every part accepted: the message is `sent` (awaiting a receipt or not). Resolves false if it was no
   * longer queued or `owner` no longer holds its claim (another process took it over).
   */
  async markSent(id: string, bindId: string, at: number, awaitReceipt: boolean, owner: string, tx: Tx): Promise<boolean> {
    // A bind that asks for no receipts leaves its messages `sent` for good: they must not expire.
    return (await this.s.sent.run({ id, reason: awaitReceipt ? null : 'no_receipt_requested', bindId, at, owner }, tx)) > 0;
  }

  /**
   * The dispatcher's final status for a message it holds (failed, expired before it went): resolves
   * false when it is final already or `owner` no longer holds its claim.
   */
  async finalizeClaimed(
    q: { id: string; status: MessageStatus; at: number; error?: string | null; errorCode?: number | null; bindId?: string | null; attempt?: boolean },
    owner: string,
    tx: Tx,
  ): Promise<boolean> {
    const changed = await this.s.finalizeClaimed.run(
      { bump: q.attempt ? 1 : 0, id: q.id, status: q.status, at: q.at, error: q.error ?? null, errorCode: q.errorCode ?? null, bindId: q.bindId ?? null, deliveredAt: null, owner },
      tx,
    );
    return changed > 0;
  }

  /** Sets a final status (delivered, failed, expired); `attempt` counts an attempt that ended here. */
  async finalize(q: { id: string; status: MessageStatus; at: number; error?: string | null; errorCode?: number | null; bindId?: string | null; attempt?: boolean }, tx: Tx): Promise<void> {
    await this.s.finalize.run(
      {
        bump: q.attempt ? 1 : 0,
        id: q.id,
        status: q.status,
        at: q.at,
        error: q.error ?? null,
        errorCode: q.errorCode ?? null,
        bindId: q.bindId ?? null,
        deliveredAt: q.status === 'delivered' ? q.at : null,
      },
      tx,
    );
  }

  /** Sets the status without other changes. */
  async setStatus(id: string, status: MessageStatus, at: number, tx: Tx): Promise<void> {
    await this.s.setStatus.run({ id, status, at }, tx);
  }

  /** Records a part the SMSC accepted. */
  async insertPart(part: Part, tx: Tx): Promise<void> {
    await this.s.insertPart.run(part, tx);
  }

  /** Parts accepted so far. */
  async parts(messageId: string, tx?: Tx): Promise<PartRow[]> {
    return this.s.partsOf.all({ messageId }, tx);
  }

  /** The part an SMSC id names, or null. */
  async partBySmscId(smsc: string, smscId: string, tx?: Tx): Promise<PartRow | null> {
    return (await this.s.partBySmscId.get({ smsc, smscId }, tx)) ?? null;
  }

  /** Updates a part from a receipt. */
  async updatePart(part: { messageId: string; seq: number; status: string; stat: string; err: string | null; at: number }, tx: Tx): Promise<void> {
    await this.s.updatePart.run(part, tx);
  }

  /** Parts recorded and parts delivered, as unit `tx` sees them. */
  async partCounts(messageId: string, tx: Tx): Promise<{ total: number; delivered: number }> {
    return (await this.s.countParts.get({ messageId }, tx))!;
  }

  /** Keeps a receipt whose part is not known yet. */
  async insertPending(r: { smsc: string; smscId: string; stat: string; err: string | null; at: number }, tx: Tx): Promise<void> {
    await this.s.insertPending.run(r, tx);
  }

  /** Early receipts for an SMSC id. */
  async pendingFor(smsc: string, smscId: string, tx: Tx): Promise<PendingReceiptRow[]> {
    return this.s.pendingFor.all({ smsc, smscId }, tx);
  }

  /** The oldest early receipts, up to `limit`. */
  async waitingReceipts(limit: number, tx: Tx): Promise<WaitingReceiptRow[]> {
    return this.s.waiting.all({ limit }, tx);
  }

  /**
   * Takes an early receipt to apply it: false when another unit took it first (on PostgreSQL the second
   * DELETE waits for the first to commit, then deletes nothing).
   */
  async takePending(id: number, tx: Tx): Promise<boolean> {
    return (await this.s.deletePending.run({ id }, tx)) === 1;
  }

  /** How many early receipts wait. */
  async pendingCount(tx?: Tx): Promise<number> {
    return (await this.s.pendingCount.get(undefined, tx))!.n;
  }

  /** Drops early receipts older than `before` (their submit never got an id). */
  async prunePending(before: number, tx: Tx): Promise<number> {
    return this.s.prunePending.run({ before }, tx);
  }

  /** Expires queued messages past validity and sent ones never confirmed; returns them. */
  async expire(now: number, tx: Tx): Promise<MessageRow[]> {
    return [...(await this.s.expireQueued.all({ now }, tx)), ...(await this.s.expireSent.all({ now }, tx))];
  }

  /** Messages waiting to be sent and waiting for a receipt. */
  async depth(): Promise<{ queued: number; sent: number }> {
    const out = { queued: 0, sent: 0 };
    for (const r of await this.s.queueDepth.all()) if (r.status === 'queued' || r.status === 'sent') out[r.status] = r.n;
    return out;
  }

  /** Final messages of a source whose receipt was asked for and not yet handed over. */
  async receiptsDue(source: string, limit: number): Promise<MessageRow[]> {
    return this.s.receiptsDue.all({ source, limit });
  }

  /** Marks a partner receipt as handed over. */
  async markReceiptSent(id: string, at: number, tx: Tx): Promise<void> {
    await this.s.receiptSent.run({ id, at }, tx);
  }
}
