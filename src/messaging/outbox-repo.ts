import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/client';
import { NO_PROFILE, type MessageKind, type MessageStatus } from './types';
import type { SmsEncoding } from './encoding';

/** One outbox row as the messaging domain uses it. */
export interface MessageRow {
  id: string;
  subscriberId: number;
  msisdn: string;
  sender: string | null;
  text: string;
  kind: MessageKind;
  source: string;
  sourceRef: string | null;
  status: MessageStatus;
  reason: string | null;
  error: string | null;
  errorCode: number | null;
  operator: string | null;
  encoding: SmsEncoding;
  parts: number;
  concatRef: number;
  attempts: number;
  dueAt: number;
  expiresAt: number;
  bindId: string | null;
  receiptRequested: number;
  receiptSentAt: number | null;
  createdAt: number;
  updatedAt: number;
  sentAt: number | null;
  deliveredAt: number | null;
  finalAt: number | null;
}

/** A part the SMSC accepted. */
export interface PartRow {
  messageId: string;
  seq: number;
  smsc: string;
  smscId: string;
  bindId: string;
  status: string;
  dlrStat: string | null;
  dlrErr: string | null;
  submittedAt: number;
  doneAt: number | null;
}

interface RawMessage {
  id: string;
  subscriber_id: number | null;
  msisdn: string;
  sender: string | null;
  text: string;
  kind: MessageKind;
  source: string;
  source_ref: string | null;
  status: MessageStatus;
  reason: string | null;
  error: string | null;
  error_code: number | null;
  operator: string | null;
  encoding: SmsEncoding;
  parts: number;
  concat_ref: number;
  attempts: number;
  due_at: number;
  expires_at: number;
  bind_id: string | null;
  receipt_requested: number;
  receipt_sent_at: number | null;
  created_at: number;
  updated_at: number;
  sent_at: number | null;
  delivered_at: number | null;
  final_at: number | null;
}

interface RawPart {
  message_id: string;
  seq: number;
  smsc: string;
  smsc_id: string;
  bind_id: string;
  status: string;
  dlr_stat: string | null;
  dlr_err: string | null;
  submitted_at: number;
  done_at: number | null;
}

const fromRaw = (r: RawMessage): MessageRow => ({
  id: r.id,
  subscriberId: r.subscriber_id ?? NO_PROFILE,
  msisdn: r.msisdn,
  sender: r.sender,
  text: r.text,
  kind: r.kind,
  source: r.source,
  sourceRef: r.source_ref,
  status: r.status,
  reason: r.reason,
  error: r.error,
  errorCode: r.error_code,
  operator: r.operator,
  encoding: r.encoding,
  parts: r.parts,
  concatRef: r.concat_ref,
  attempts: r.attempts,
  dueAt: r.due_at,
  expiresAt: r.expires_at,
  bindId: r.bind_id,
  receiptRequested: r.receipt_requested,
  receiptSentAt: r.receipt_sent_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  sentAt: r.sent_at,
  deliveredAt: r.delivered_at,
  finalAt: r.final_at,
});

const partFromRaw = (r: RawPart): PartRow => ({
  messageId: r.message_id,
  seq: r.seq,
  smsc: r.smsc,
  smscId: r.smsc_id,
  bindId: r.bind_id,
  status: r.status,
  dlrStat: r.dlr_stat,
  dlrErr: r.dlr_err,
  submittedAt: r.submitted_at,
  doneAt: r.done_at,
});

/** A position in a lane's claim order (due time, then insertion order). */
export interface ClaimPosition {
  dueAt: number;
  rowid: number;
}

/** A pending (early) receipt. */
export interface PendingReceiptRow {
  id: number;
  stat: string;
  err: string | null;
  receivedAt: number;
}

/**
 * Data access for the outbox, parts and early receipts. Every statement is prepared once: the
 * dispatcher runs these thousands of times a second.
 */
export class OutboxRepo {
  private readonly s: {
    insert: Statement;
    byId: Statement<[string], RawMessage>;
    promoCount: Statement<[number, number], { n: number }>;
    promoCounts: Statement<[string, number], { id: number; n: number }>;
    claim: Statement<[string, number, number], RawMessage & { rid: number }>;
    claimNoOperator: Statement<[number, number], RawMessage & { rid: number }>;
    claimAfter: Statement<[string, number, number, number, number], RawMessage & { rid: number }>;
    claimNoOperatorAfter: Statement<[number, number, number, number], RawMessage & { rid: number }>;
    release: Statement;
    sent: Statement;
    setStatus: Statement;
    finalize: Statement;
    insertPart: Statement;
    partsOf: Statement<[string], RawPart>;
    partBySmscId: Statement<[string, string], RawPart>;
    updatePart: Statement;
    countParts: Statement<[string], { total: number; delivered: number }>;
    insertPending: Statement;
    pendingFor: Statement<[string, string], { id: number; stat: string; err: string | null; received_at: number }>;
    deletePending: Statement<[number]>;
    pendingCount: Statement<[], { n: number }>;
    prunePending: Statement<[number]>;
    expireQueued: Statement<[number, number, number], RawMessage>;
    expireSent: Statement<[number, number, number], RawMessage>;
    queueDepth: Statement<[], { status: string; n: number }>;
    receiptsDue: Statement<[string, number], RawMessage>;
    receiptSent: Statement<[number, string]>;
  };

  constructor(db: Db) {
    const c = db.$client;
    this.s = {
      insert: c.prepare(`INSERT INTO messages (id, subscriber_id, msisdn, sender, text, kind, source, source_ref, status, reason, operator, encoding, parts,
          concat_ref, due_at, expires_at, receipt_requested, created_at, updated_at, final_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      byId: c.prepare('SELECT * FROM messages WHERE id = ?'),
      promoCount: c.prepare("SELECT count(*) AS n FROM messages WHERE subscriber_id = ? AND created_at >= ? AND kind = 'promotional' AND status <> 'blocked'"),
      // One grouped query for a bulk send: an index seek per listed subscriber.
      promoCounts: c.prepare(`SELECT subscriber_id AS id, count(*) AS n FROM messages WHERE subscriber_id IN (SELECT value FROM json_each(?))
          AND created_at >= ? AND kind = 'promotional' AND status <> 'blocked' GROUP BY subscriber_id`),
      claim: c.prepare("SELECT rowid AS rid, * FROM messages WHERE status = 'queued' AND operator = ? AND due_at <= ? ORDER BY due_at, rowid LIMIT ?"),
      claimNoOperator: c.prepare("SELECT rowid AS rid, * FROM messages WHERE status = 'queued' AND operator IS NULL AND due_at <= ? ORDER BY due_at, rowid LIMIT ?"),
      // From a position (due_at, rowid) on: the index is ordered so, and rows before it are held already.
      claimAfter: c.prepare(`SELECT rowid AS rid, * FROM messages WHERE status = 'queued' AND operator = ? AND due_at <= ? AND (due_at, rowid) > (?, ?)
          ORDER BY due_at, rowid LIMIT ?`),
      claimNoOperatorAfter: c.prepare(`SELECT rowid AS rid, * FROM messages WHERE status = 'queued' AND operator IS NULL AND due_at <= ? AND (due_at, rowid) > (?, ?)
          ORDER BY due_at, rowid LIMIT ?`),
      release: c.prepare(`UPDATE messages SET due_at = @dueAt, error = coalesce(@error, error), error_code = coalesce(@errorCode, error_code),
          bind_id = coalesce(@bindId, bind_id), attempts = attempts + 1, updated_at = @at WHERE id = @id AND status = 'queued'`),
      // Positional (markSent, insertPart): named binding costs a lookup per parameter, per message.
      sent: c.prepare(`UPDATE messages SET status = 'sent', reason = ?, bind_id = ?, attempts = attempts + 1, sent_at = ?, updated_at = ?
          WHERE id = ? AND status = 'queued'`),
      setStatus: c.prepare('UPDATE messages SET status = @status, updated_at = @at WHERE id = @id'),
      finalize: c.prepare(`UPDATE messages SET status = @status, attempts = attempts + @bump, error = coalesce(@error, error), error_code = coalesce(@errorCode, error_code),
          bind_id = coalesce(@bindId, bind_id), delivered_at = @deliveredAt, final_at = @at, updated_at = @at WHERE id = @id`),
      insertPart: c.prepare(`INSERT INTO message_parts (message_id, seq, smsc, smsc_id, bind_id, status, submitted_at)
          VALUES (?, ?, ?, ?, ?, 'sent', ?)
          ON CONFLICT(message_id, seq) DO UPDATE SET smsc = excluded.smsc, smsc_id = excluded.smsc_id, bind_id = excluded.bind_id,
            status = 'sent', submitted_at = excluded.submitted_at`),
      partsOf: c.prepare('SELECT * FROM message_parts WHERE message_id = ? ORDER BY seq'),
      partBySmscId: c.prepare('SELECT * FROM message_parts WHERE smsc = ? AND smsc_id = ? ORDER BY submitted_at DESC LIMIT 1'),
      updatePart: c.prepare(
        'UPDATE message_parts SET status = @status, dlr_stat = @stat, dlr_err = @err, done_at = @at WHERE message_id = @messageId AND seq = @seq',
      ),
      countParts: c.prepare("SELECT count(*) AS total, coalesce(sum(status = 'delivered'), 0) AS delivered FROM message_parts WHERE message_id = ?"),
      insertPending: c.prepare('INSERT INTO pending_receipts (smsc, smsc_id, stat, err, received_at) VALUES (@smsc, @smscId, @stat, @err, @at)'),
      pendingFor: c.prepare('SELECT id, stat, err, received_at FROM pending_receipts WHERE smsc = ? AND smsc_id = ? ORDER BY id'),
      deletePending: c.prepare('DELETE FROM pending_receipts WHERE id = ?'),
      pendingCount: c.prepare('SELECT count(*) AS n FROM pending_receipts'),
      prunePending: c.prepare('DELETE FROM pending_receipts WHERE received_at < ?'),
      expireQueued: c.prepare(`UPDATE messages SET status = 'expired', final_at = ?, updated_at = ?, reason = coalesce(reason, 'validity')
          WHERE status = 'queued' AND expires_at <= ? RETURNING *`),
      expireSent: c.prepare(`UPDATE messages SET status = 'expired', final_at = ?, updated_at = ?, reason = 'no_receipt'
          WHERE status = 'sent' AND expires_at <= ? AND reason IS NULL RETURNING *`),
      queueDepth: c.prepare("SELECT status, count(*) AS n FROM messages WHERE status IN ('queued', 'sent') GROUP BY status"),
      receiptsDue: c.prepare(
        'SELECT * FROM messages WHERE source = ? AND receipt_requested > 0 AND receipt_sent_at IS NULL AND final_at IS NOT NULL ORDER BY final_at LIMIT ?',
      ),
      receiptSent: c.prepare('UPDATE messages SET receipt_sent_at = ? WHERE id = ?'),
    };
  }

  /** Inserts a new message row. */
  insert(m: Pick<MessageRow, 'id' | 'subscriberId' | 'msisdn' | 'sender' | 'text' | 'kind' | 'source' | 'sourceRef' | 'status' | 'reason' | 'operator' | 'encoding' | 'parts' | 'concatRef' | 'dueAt' | 'expiresAt' | 'receiptRequested' | 'createdAt' | 'finalAt'>): void {
    // Positional: binding 20 named parameters showed in the enqueue profile.
    this.s.insert.run(m.id, m.subscriberId === NO_PROFILE ? null : m.subscriberId, m.msisdn, m.sender, m.text, m.kind, m.source, m.sourceRef, m.status, m.reason, m.operator, m.encoding, m.parts,
      m.concatRef, m.dueAt, m.expiresAt, m.receiptRequested, m.createdAt, m.createdAt, m.finalAt);
  }

  /** The message or null. */
  get(id: string): MessageRow | null {
    const r = this.s.byId.get(id);
    return r ? fromRaw(r) : null;
  }

  /** Promotional messages (not blocked) to a subscriber created since `since`. */
  promotionalSince(subscriberId: number, since: number): number {
    return this.s.promoCount.get(subscriberId, since)!.n;
  }

  /** `promotionalSince` for many subscribers at once; those with none are left out of the map. */
  promotionalCounts(subscriberIds: readonly number[], since: number): Map<number, number> {
    const out = new Map<number, number>();
    if (subscriberIds.length === 0) return out;
    for (const r of this.s.promoCounts.all(JSON.stringify(subscriberIds), since)) out.set(r.id, r.n);
    return out;
  }

  /**
   * Up to `limit` due queued messages of a lane, oldest due first, leaving out those the caller holds
   * already (`held`: they are at the head of the lane, so the query reads past them).
   */
  claim(operator: string | null, now: number, limit: number, held: ReadonlySet<string>): { rows: MessageRow[]; last: ClaimPosition | null } {
    const n = limit + held.size;
    const raw = operator === null ? this.s.claimNoOperator.all(now, n) : this.s.claim.all(operator, now, n);
    const rows: MessageRow[] = [];
    let last: ClaimPosition | null = null;
    // `last` is the last row looked at: every due row up to it is now held or returned.
    for (const r of raw) {
      last = { dueAt: r.due_at, rowid: r.rid };
      if (held.has(r.id)) continue;
      rows.push(fromRaw(r));
      if (rows.length >= limit) break;
    }
    return { rows, last };
  }

  /**
   * Like `claim`, but only rows after `after` (a position a previous claim returned), so rows held at
   * the head of the lane are not read again. Returns the rows and the position of the last one.
   */
  claimAfter(operator: string | null, now: number, limit: number, after: ClaimPosition, held: ReadonlySet<string>): { rows: MessageRow[]; last: ClaimPosition } {
    const raw = operator === null ? this.s.claimNoOperatorAfter.all(now, after.dueAt, after.rowid, limit) : this.s.claimAfter.all(operator, now, after.dueAt, after.rowid, limit);
    const rows: MessageRow[] = [];
    for (const r of raw) if (!held.has(r.id)) rows.push(fromRaw(r));
    const tail = raw[raw.length - 1];
    return { rows, last: tail ? { dueAt: tail.due_at, rowid: tail.rid } : after };
  }

  /** An attempt failed for now: the message stays queued, due again at `dueAt`. */
  retryLater(p: { id: string; dueAt: number; at: number; error?: string | null; errorCode?: number | null; bindId?: string | null }): void {
    this.s.release.run({ id: p.id, dueAt: p.dueAt, at: p.at, error: p.error ?? null, errorCode: p.errorCode ?? null, bindId: p.bindId ?? null });
  }

  /** Every part accepted: the message is `sent` (awaiting a receipt or not). Returns false if it was no longer queued. */
  markSent(id: string, bindId: string, at: number, awaitReceipt = true): boolean {
    // A bind that asks for no receipts leaves its messages `sent` for good: they must not expire.
    return this.s.sent.run(awaitReceipt ? null : 'no_receipt_requested', bindId, at, at, id).changes > 0;
  }

  /** Sets a final status (delivered, failed, expired); `attempt` counts an attempt that ended here. */
  finalize(p: { id: string; status: MessageStatus; at: number; error?: string | null; errorCode?: number | null; bindId?: string | null; attempt?: boolean }): void {
    this.s.finalize.run({
      bump: p.attempt ? 1 : 0,
      id: p.id,
      status: p.status,
      at: p.at,
      error: p.error ?? null,
      errorCode: p.errorCode ?? null,
      bindId: p.bindId ?? null,
      deliveredAt: p.status === 'delivered' ? p.at : null,
    });
  }

  /** Sets the status without other changes. */
  setStatus(id: string, status: MessageStatus, at: number): void {
    this.s.setStatus.run({ id, status, at });
  }

  /** Records a part the SMSC accepted. */
  insertPart(p: { messageId: string; seq: number; smsc: string; smscId: string; bindId: string; at: number }): void {
    this.s.insertPart.run(p.messageId, p.seq, p.smsc, p.smscId, p.bindId, p.at);
  }

  /** Parts accepted so far. */
  parts(messageId: string): PartRow[] {
    return this.s.partsOf.all(messageId).map(partFromRaw);
  }

  /** The part an SMSC id names, or null. */
  partBySmscId(smsc: string, smscId: string): PartRow | null {
    const r = this.s.partBySmscId.get(smsc, smscId);
    return r ? partFromRaw(r) : null;
  }

  /** Updates a part from a receipt. */
  updatePart(p: { messageId: string; seq: number; status: string; stat: string; err: string | null; at: number }): void {
    this.s.updatePart.run(p);
  }

  /** Parts recorded and parts delivered. */
  partCounts(messageId: string): { total: number; delivered: number } {
    return this.s.countParts.get(messageId)!;
  }

  /** Keeps a receipt whose part is not known yet. */
  insertPending(p: { smsc: string; smscId: string; stat: string; err: string | null; at: number }): void {
    this.s.insertPending.run(p);
  }

  /** Early receipts for an SMSC id. */
  pendingFor(smsc: string, smscId: string): PendingReceiptRow[] {
    return this.s.pendingFor.all(smsc, smscId).map((r) => ({ id: r.id, stat: r.stat, err: r.err, receivedAt: r.received_at }));
  }

  /** Removes an early receipt once applied. */
  deletePending(id: number): void {
    this.s.deletePending.run(id);
  }

  /** How many early receipts wait. */
  pendingCount(): number {
    return this.s.pendingCount.get()!.n;
  }

  /** Drops early receipts older than `before` (their submit never got an id). */
  prunePending(before: number): number {
    return this.s.prunePending.run(before).changes;
  }

  /** Expires queued messages past validity and sent ones never confirmed; returns them. */
  expire(now: number): MessageRow[] {
    return [...this.s.expireQueued.all(now, now, now), ...this.s.expireSent.all(now, now, now)].map(fromRaw);
  }

  /** Messages waiting to be sent and waiting for a receipt. */
  depth(): { queued: number; sent: number } {
    const out = { queued: 0, sent: 0 };
    for (const r of this.s.queueDepth.all()) if (r.status === 'queued' || r.status === 'sent') out[r.status] = r.n;
    return out;
  }

  /** Final messages of a source whose receipt was asked for and not yet handed over. */
  receiptsDue(source: string, limit: number): MessageRow[] {
    return this.s.receiptsDue.all(source, limit).map(fromRaw);
  }

  /** Marks a partner receipt as handed over. */
  markReceiptSent(id: string, at: number): void {
    this.s.receiptSent.run(at, id);
  }
}
