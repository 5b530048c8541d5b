import type { Counter } from 'prom-client';
import type { Tx } from '../db/database';
import type { UsageEvent } from '../usage/usage-log';
import type { MessageRow, OutboxRepo, PartRow } from './outbox-repo';
import { normalizeSmscId, receiptOutcome, smscIdCandidates } from './receipt-ids';
import { isWholeMessageSmsc, type ReceiptIn } from './transport';
import type { MessageStatus, MessageStatusChange as StatusChange } from './types';

/** Waiting receipts looked at per sweep (oldest first); the rest wait for the next. */
const RETRY_BATCH = 500;

/** Records a status change (listeners, usage log); given by the dispatcher. */
export type StatusEmitter = (changes: StatusChange[], row: MessageRow, status: MessageStatus, at: number, error: string | null, events: UsageEvent[]) => void;

/**
 * Applies delivery receipts to message parts: finds the part by the SMSC's id (exact form first, then
 * its hex/decimal twin), keeps receipts that overtook their submit_sm_resp until the resp is recorded,
 * and moves the message to delivered (every part delivered), failed or expired. Runs inside the
 * outbox writer's unit of work (`tx`).
 *
 * On SQLite this process is the database's only writer, so a count of the early receipts it kept lets
 * a recorded part skip the lookup when none wait. On PostgreSQL another process may have kept the
 * receipt (it arrived on that process's bind), or kept it while this one was recording the part, each
 * unit not yet seeing the other's row: there every recorded part looks, and the sweep retries waiting
 * receipts whose part has been recorded since.
 */
export class ReceiptMatcher {
  private pending = 0;
  private readonly soleWriter: boolean;

  constructor(
    private readonly repo: OutboxRepo,
    private readonly counter: Counter<string>,
    private readonly emit: StatusEmitter,
  ) {
    this.soleWriter = repo.dialect === 'sqlite';
  }

  /** Counts early receipts kept by a previous process. */
  async load(): Promise<void> {
    this.pending = await this.repo.pendingCount();
  }

  /** Early receipts waiting for their submit_sm_resp. */
  get waiting(): number {
    return this.pending;
  }

  /** Drops early receipts older than `before`; returns how many. */
  async prune(before: number, tx: Tx): Promise<number> {
    if (this.soleWriter && this.pending === 0) return 0;
    const dropped = await this.repo.prunePending(before, tx);
    if (dropped > 0) this.pending = await this.repo.pendingCount(tx);
    return dropped;
  }

  /** Applies a receipt, or keeps it when its part is not recorded yet. */
  async apply(r: ReceiptIn, at: number, changes: StatusChange[], events: UsageEvent[], tx: Tx): Promise<void> {
    const part = await this.partFor(r.smsc, r.smscId, tx);
    if (part) {
      this.counter.inc({ match: 'matched' });
      await this.applyToPart(part.messageId, part.seq, r.stat, r.err, at, changes, events, isWholeMessageSmsc(r.smsc), tx);
      return;
    }
    // The receipt overtook its submit_sm_resp (or the resp is not written yet): keep it for later.
    this.counter.inc({ match: 'early' });
    await this.repo.insertPending({ smsc: r.smsc, smscId: normalizeSmscId(r.smscId), stat: r.stat, err: r.err, at }, tx);
    this.pending++;
  }

  /** A part was just recorded: applies receipts that arrived for it before its resp. */
  async partRecorded(smsc: string, smscId: string, changes: StatusChange[], events: UsageEvent[], tx: Tx): Promise<void> {
    if (this.soleWriter && this.pending === 0) return;
    const repo = this.repo;
    for (const id of smscIdCandidates(smscId)) {
      const pend = await repo.pendingFor(smsc, id, tx);
      if (pend.length === 0) continue;
      const part = await repo.partBySmscId(smsc, normalizeSmscId(smscId), tx);
      if (!part) return;
      for (const p of pend) {
        // Taken first: a sweep of another process may be applying the same receipt.
        if (!(await repo.takePending(p.id, tx))) continue;
        await this.applyToPart(part.messageId, part.seq, p.stat, p.err, p.receivedAt, changes, events, isWholeMessageSmsc(smsc), tx);
        this.pending = Math.max(0, this.pending - 1);
      }
      return;
    }
  }

  /**
   * Applies waiting receipts whose part has been recorded since they arrived (by any process); returns
   * how many. Only needed where other processes write (PostgreSQL): on SQLite `partRecorded` sees them all.
   */
  async retryWaiting(changes: StatusChange[], events: UsageEvent[], tx: Tx): Promise<number> {
    if (this.soleWriter) return 0;
    let applied = 0;
    for (const w of await this.repo.waitingReceipts(RETRY_BATCH, tx)) {
      const part = await this.partFor(w.smsc, w.smscId, tx);
      if (!part || !(await this.repo.takePending(w.id, tx))) continue;
      this.counter.inc({ match: 'matched' });
      await this.applyToPart(part.messageId, part.seq, w.stat, w.err, w.receivedAt, changes, events, isWholeMessageSmsc(w.smsc), tx);
      applied++;
    }
    return applied;
  }

  /** The part an SMSC id names, in the exact form first, then its hex/decimal twin. */
  private async partFor(smsc: string, smscId: string, tx: Tx): Promise<PartRow | null> {
    for (const id of smscIdCandidates(smscId)) {
      const part = await this.repo.partBySmscId(smsc, id, tx);
      if (part) return part;
    }
    return null;
  }

  /** `whole`: the receipt is an aggregator's for the whole message (it split the text itself). */
  private async applyToPart(
    messageId: string,
    seq: number,
    stat: string,
    err: string | null,
    at: number,
    changes: StatusChange[],
    events: UsageEvent[],
    whole: boolean,
    tx: Tx,
  ): Promise<void> {
    const repo = this.repo;
    const outcome = receiptOutcome(stat);
    const row = await repo.get(messageId, tx);
    if (!row) return;
    if (outcome === 'pending') {
      await repo.updatePart({ messageId, seq, status: 'sent', stat, err, at }, tx);
      if (row.subscriberId !== null) events.push({ at, subscriberId: row.subscriberId, channel: 'sms', type: 'sms_status', detail: { messageId, status: 'intermediate', stat } });
      return;
    }
    await repo.updatePart({ messageId, seq, status: outcome, stat, err, at }, tx);
    if (outcome === 'delivered') {
      const counts = await repo.partCounts(messageId, tx);
      if ((whole || counts.delivered >= row.parts) && row.status !== 'delivered') {
        await repo.finalize({ id: messageId, status: 'delivered', at }, tx);
        this.emit(changes, row, 'delivered', at, null, events);
      }
      return;
    }
    if (row.status === 'failed' || row.status === 'delivered' || (row.status === 'expired' && outcome === 'expired')) return;
    const error = `${stat.toUpperCase()}${err ? ` err:${err}` : ''}`;
    await repo.finalize({ id: messageId, status: outcome, at, error }, tx);
    this.emit(changes, row, outcome, at, error, events);
  }
}
