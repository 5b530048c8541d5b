import type { Counter } from 'prom-client';
import type { Tx, UnitOfWork } from '../db/database';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import type { UsageEvent, UsageLog } from '../usage/usage-log';
import type { MessageRow, OutboxRepo } from './outbox-repo';
import { normalizeSmscId } from './receipt-ids';
import { ReceiptMatcher } from './receipt-matcher';
import type { ReceiptIn } from './transport';
import type { MessageStatus, MessageStatusChange as StatusChange } from './types';

/** A flush waits for more outcomes while fewer than this many ops are queued... */
const COALESCE_OPS = 1000;
/** ...for at most this many event-loop turns. */
const COALESCE_TURNS = 8;

/** One thing to write about the outbox. */
export type WriteOp =
  | { t: 'part'; messageId: string; seq: number; smsc: string; smscId: string; bindId: string; at: number }
  | { t: 'sent'; row: MessageRow; bindId: string; awaitReceipt: boolean; at: number }
  | { t: 'retry'; row: MessageRow; dueAt: number; error: string | null; errorCode: number | null; bindId: string | null; at: number }
  | { t: 'final'; row: MessageRow; status: MessageStatus; error: string | null; errorCode: number | null; bindId: string | null; attempt: boolean; at: number }
  | { t: 'receipt'; r: ReceiptIn; at: number; ack?: ((ok: boolean) => void) | undefined };

export interface OutboxWriterDeps {
  repo: OutboxRepo;
  log: Logger;
  metrics: Metrics;
  usage: UsageLog;
  /** Units of work (the core's group commit on SQLite): a flush resolves once durable. */
  units: UnitOfWork;
  /** Receipts that never found their message are dropped after this long (ms, clock time). */
  pendingReceiptTtlMs: number;
  /** The dispatcher's claim owner: outcomes are written only for rows it holds the claim on. */
  owner: string;
}

/**
 * The write side of the outbox: submit outcomes and receipts are queued and written in batches, one
 * unit of work per flush, in arrival order (so a receipt is applied after the
 * submit_sm_resp that preceded it). Status listeners are told, and receipts acknowledged, once the
 * batch is committed. `sent` is a status only; delivery outcomes are `sms_status` usage events.
 */
export class OutboxWriter {
  private ops: WriteOp[] = [];
  private flushScheduled = false;
  private writing: Promise<void> = Promise.resolve();
  private deferredTurns = 0;
  private seenOps = 0;
  private readonly listeners: Array<(c: StatusChange) => void> = [];
  private flushed: (ops: readonly WriteOp[], ok: boolean) => void = () => {};
  private readonly statusCounter: Counter<string>;
  private readonly receipts: ReceiptMatcher;
  private readonly log: Logger;
  /**
   * Set by stop(), which the dispatcher calls before the server closes the database (src/server.ts
   * stop()): later outcomes have nowhere to go; a receipt is refused, so the SMSC sends it again.
   */
  private stopped = false;

  constructor(private readonly d: OutboxWriterDeps) {
    this.log = d.log.child({ comp: 'outbox' });
    this.statusCounter = d.metrics.counter('messages_status_total', 'Message status changes', ['status']);
    const receipts = d.metrics.counter('delivery_receipts_total', 'Delivery receipts received, by how they matched', ['match']);
    this.receipts = new ReceiptMatcher(d.repo, receipts, (changes, row, status, at, error, events) => this.statusEvent(changes, row, status, at, error, events));
  }

  /** Registers a status listener. */
  onStatus(fn: (c: StatusChange) => void): void {
    this.listeners.push(fn);
  }

  /** Told after each flush, committed (`ok`) or not, with the ops it carried (the dispatcher lets go of rows). */
  onFlushed(fn: (ops: readonly WriteOp[], ok: boolean) => void): void {
    this.flushed = fn;
  }

  /** Counts early receipts a previous process kept. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.receipts.load();
  }

  /** Queues a write for the next flush. */
  push(op: WriteOp): void {
    this.ops.push(op);
    this.scheduleFlush();
  }

  /**
   * Expires what validity ran out on, applies receipts kept by another process whose part is recorded
   * now, and drops receipts that never matched; resolves once durable.
   */
  async sweep(now: number): Promise<void> {
    if (this.stopped) return;
    const changes: StatusChange[] = [];
    const dropped = await this.d.units.unit(async (tx) => {
      const events: UsageEvent[] = [];
      for (const row of await this.d.repo.expire(now, tx)) this.statusEvent(changes, row, 'expired', now, row.reason, events);
      await this.receipts.retryWaiting(changes, events, tx);
      await this.d.usage.recordIn(tx, events);
      return this.receipts.prune(now - this.d.pendingReceiptTtlMs, tx);
    });
    if (dropped > 0) this.log.warn({ receipts: dropped }, 'dropped delivery receipts that never matched a submitted message');
    this.notify(changes);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    this.deferredTurns = 0;
    this.seenOps = 0;
    setImmediate(this.onTurn);
  }

  /**
   * Flushes in the check phase, but while outcomes keep arriving (the window streams responses turn
   * after turn) waits a few more turns so they share one commit: a commit costs about as much for 40
   * messages as for 300. A lone receipt waits one turn at most.
   */
  private readonly onTurn = (): void => {
    const n = this.ops.length;
    if (n > this.seenOps && n < COALESCE_OPS && this.deferredTurns < COALESCE_TURNS) {
      this.seenOps = n;
      this.deferredTurns++;
      setImmediate(this.onTurn);
      return;
    }
    this.flushScheduled = false;
    void this.flush();
  };

  /**
   * Writes queued outcomes and receipts in one unit of work, then tells listeners; resolves once settled
   * (never rejects: a failure is logged and the rows go back to the outbox). One write at a time, in
   * order: on PostgreSQL two units run side by side, and a receipt must not be written before the part
   * it matches is committed (it would be kept as early and never matched).
   */
  flush(): Promise<void> {
    this.writing = this.writing.then(() => this.write());
    return this.writing;
  }

  /** Writes what is queued, then takes no more (see {@link stopped}); resolves once settled. */
  async stop(): Promise<void> {
    await this.flush();
    this.stopped = true;
  }

  private write(): Promise<void> {
    if (this.ops.length === 0) return Promise.resolve();
    if (this.stopped) {
      for (const op of this.ops) if (op.t === 'receipt') op.ack?.(false);
      this.ops = [];
      return Promise.resolve();
    }
    const ops = this.ops;
    this.ops = [];
    const changes: StatusChange[] = [];
    const events: UsageEvent[] = [];
    const ack = (ok: boolean) => {
      for (const op of ops) if (op.t === 'receipt' && op.ack) op.ack(ok);
    };
    const fail = (err: unknown) => {
      this.log.error({ err, ops: ops.length }, 'could not record send outcomes; the messages stay queued and are sent again');
      ack(false);
      this.flushed(ops, false);
    };
    // Receipts are acknowledged to the SMSC, and listeners told, only once this is durable.
    return this.d.units
      .unit(async (tx) => {
        for (const op of ops) await this.apply(op, changes, events, tx);
        await this.d.usage.recordIn(tx, events);
      })
      .then(() => {
        ack(true);
        this.flushed(ops, true);
        this.notify(changes);
      }, fail);
  }

  private notify(changes: StatusChange[]): void {
    for (const c of changes) {
      this.statusCounter.inc({ status: c.status });
      for (const fn of this.listeners) {
        try {
          fn(c);
        } catch (err) {
          this.log.error({ err, messageId: c.id }, 'status listener failed');
        }
      }
    }
  }

  private statusEvent(changes: StatusChange[], row: MessageRow, status: MessageStatus, at: number, error: string | null | undefined, events: UsageEvent[]): void {
    changes.push({ id: row.id, status, at, subscriberId: row.subscriberId, msisdn: row.msisdn, source: row.source, sourceRef: row.sourceRef, error: error ?? null });
    // The usage log has the send (sms_out, at enqueue) and the outcome; `sent` is only a status.
    // Messages to an address with no profile (a short code) have no usage log to write to.
    if (status === 'sent' || row.subscriberId === null) return;
    const e: UsageEvent = {
      at,
      subscriberId: row.subscriberId,
      channel: 'sms',
      type: 'sms_status',
      // A delivery names what sent the message: the best-channel evidence leaves out replies to the subscriber's own texts.
      detail: { messageId: row.id, status, ...(error ? { error } : {}), ...(status === 'delivered' ? { source: row.source } : {}) },
    };
    events.push(e);
  }

  private async apply(op: WriteOp, changes: StatusChange[], events: UsageEvent[], tx: Tx): Promise<void> {
    const repo = this.d.repo;
    switch (op.t) {
      case 'part': {
        const smscId = normalizeSmscId(op.smscId);
        await repo.insertPart({ messageId: op.messageId, seq: op.seq, smsc: op.smsc, smscId, bindId: op.bindId, at: op.at }, tx);
        await this.receipts.partRecorded(op.smsc, op.smscId, changes, events, tx);
        return;
      }
      case 'sent':
        if (await repo.markSent(op.row.id, op.bindId, op.at, op.awaitReceipt, this.d.owner, tx)) this.statusEvent(changes, op.row, 'sent', op.at, null, events);
        return;
      case 'retry':
        await repo.retryLater({ id: op.row.id, dueAt: op.dueAt, at: op.at, error: op.error, errorCode: op.errorCode, bindId: op.bindId }, this.d.owner, tx);
        return;
      case 'final': {
        const final = { id: op.row.id, status: op.status, at: op.at, error: op.error, errorCode: op.errorCode, bindId: op.bindId, attempt: op.attempt };
        if (await repo.finalizeClaimed(final, this.d.owner, tx)) this.statusEvent(changes, op.row, op.status, op.at, op.error, events);
        return;
      }
      case 'receipt':
        await this.receipts.apply(op.r, op.at, changes, events, tx);
        return;
    }
  }
}
