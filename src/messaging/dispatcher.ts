import type { Counter } from 'prom-client';
import type { Db } from '../db/client';
import { tx } from '../db/client';
import type { Clock } from '../lib/clock';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import type { UsageEvent, UsageLog } from '../usage/usage-log';
import { encodeSms, type EncodedSms } from './encoding';
import type { MessageRow, OutboxRepo } from './outbox-repo';
import { receiptOutcome, smscIdCandidates, normalizeSmscId } from './receipt-ids';
import type { ReceiptIn, SmsTransport, SubmitOutcome } from './transport';
import type { MessageStatus, MessageStatusChange as StatusChange } from './types';

export interface DispatcherOptions {
  /** How often due (deferred, retried) messages are looked for when nothing wakes the dispatcher (ms). */
  pollMs: number;
  /** Rows claimed per lane at a time (at least the free window). */
  batch: number;
  /** Retry backoff: base * 2^(attempt-1), capped, with +-20% jitter (seconds). */
  retryBaseSeconds: number;
  retryMaxSeconds: number;
  /** While a lane has no bind, its messages are looked at again after this long (ms). */
  laneDownRecheckMs: number;
  /** Receipts that never found their message are dropped after this long (ms, clock time). */
  pendingReceiptTtlMs: number;
  /** Lanes (operator ids; null = numbers no operator owns). */
  lanes: (string | null)[];
}

/** A claimed message being sent part by part. */
interface Job {
  row: MessageRow;
  enc: EncodedSms;
  lane: string | null;
  /** 1-based part numbers still to submit. */
  toSend: number[];
  next: number;
  outstanding: number;
  okBind: string | null;
  failure: Extract<SubmitOutcome, { ok: false }> | null;
  /** Sending stopped before every part went (lane went down, shutting down). */
  halted: boolean;
  done: boolean;
}

type Op =
  | { t: 'part'; job: Job; seq: number; smsc: string; smscId: string; bindId: string; at: number }
  | { t: 'sent'; row: MessageRow; bindId: string; at: number }
  | { t: 'retry'; row: MessageRow; dueAt: number; error: string | null; errorCode: number | null; bindId: string | null; refund: boolean; at: number }
  | { t: 'final'; row: MessageRow; status: MessageStatus; error: string | null; errorCode: number | null; bindId: string | null; at: number }
  | { t: 'receipt'; r: ReceiptIn; at: number; ack?: ((ok: boolean) => void) | undefined };

/**
 * Moves outbox rows to the transport: claims due rows per lane (operator), submits their parts within
 * the capacity the transport reports (window and TPS per bind), and records outcomes. Outcomes and
 * receipts are written in batches, one transaction per event-loop turn, in arrival order, so a
 * receipt is applied after the submit_sm_resp that preceded it. A row stays `inflight` until its
 * outcome is committed; a crash in between sends it again after restart (at-least-once).
 */
export class Dispatcher {
  private transport: SmsTransport | null = null;
  private readonly queues = new Map<string | null, Job[]>();
  private readonly inflightJobs = new Set<Job>();
  private ops: Op[] = [];
  private flushScheduled = false;
  private pumpScheduled = false;
  private pumping = false;
  private running = false;
  private timer: NodeJS.Timeout | null = null;
  private lastSweep = 0;
  private pendingReceipts = 0;
  private readonly listeners: Array<(c: StatusChange) => void> = [];
  private readonly log: Logger;
  private readonly submitted: Counter<string>;
  private readonly statusCounter: Counter<string>;
  private readonly receipts: Counter<string>;

  constructor(
    private readonly d: { db: Db; repo: OutboxRepo; clock: Clock; log: Logger; metrics: Metrics; usage: UsageLog },
    private readonly opts: DispatcherOptions,
  ) {
    this.log = d.log.child({ comp: 'dispatcher' });
    this.submitted = d.metrics.counter('outbox_parts_submitted_total', 'Message parts handed to a bind, by outcome', ['outcome']);
    this.statusCounter = d.metrics.counter('messages_status_total', 'Message status changes', ['status']);
    this.receipts = d.metrics.counter('delivery_receipts_total', 'Delivery receipts received, by how they matched', ['match']);
    for (const lane of opts.lanes) this.queues.set(lane, []);
  }

  /** The transport parts go to; the dispatcher waits until one is attached. */
  attach(transport: SmsTransport): void {
    this.transport = transport;
    this.wake();
  }

  /** Registers a status listener. */
  onStatus(fn: (c: StatusChange) => void): void {
    this.listeners.push(fn);
  }

  /** Releases rows a previous process held and starts the poll timer. */
  start(): void {
    if (this.running) return;
    this.running = true;
    const n = this.d.repo.resetInflight(this.d.clock.now());
    if (n > 0) this.log.warn({ messages: n }, 'messages in flight when the previous process stopped are queued again (at-least-once)');
    this.pendingReceipts = this.d.repo.pendingCount();
    this.timer = setInterval(() => this.tick(), this.opts.pollMs);
    this.timer.unref();
    this.wake();
  }

  /** Stops claiming, waits up to `drainMs` for outcomes of parts in flight, writes what is known. */
  async stop(drainMs = 3000): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const deadline = performance.now() + drainMs;
    while (this.inflightJobs.size > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    // Jobs not fully submitted go back to the queue; jobs still waiting for an answer stay inflight
    // and are sent again after restart.
    const now = this.d.clock.now();
    for (const q of this.queues.values()) this.haltQueue(q, now, now);
    this.flush();
  }

  /** Asks for a pump soon (new messages, freed capacity, a bind came up). */
  wake(): void {
    if (this.pumpScheduled || !this.running) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Queues a receipt to apply in order with submit outcomes; `ack` is told once it is committed (or not). */
  receipt(r: ReceiptIn, ack?: (ok: boolean) => void): void {
    this.ops.push({ t: 'receipt', r, at: this.d.clock.now(), ack });
    this.scheduleFlush();
  }

  /** Parts submitted and awaiting an answer, per lane queue depth in memory. */
  inMemory(): { jobs: number; waiting: number } {
    let waiting = 0;
    for (const q of this.queues.values()) waiting += q.length;
    return { jobs: this.inflightJobs.size, waiting };
  }

  private tick(): void {
    const now = this.d.clock.now();
    if (now - this.lastSweep >= Math.min(this.opts.pollMs * 20, 10_000)) {
      this.lastSweep = now;
      this.sweep(now);
    }
    this.pump();
  }

  /** Expires what validity ran out on and drops receipts that never matched. */
  sweep(now = this.d.clock.now()): void {
    if (!this.d.db.$client.open) return;
    const changes: StatusChange[] = [];
    tx(this.d.db, () => {
      for (const row of this.d.repo.expire(now)) this.statusEvent(changes, row, 'expired', now, row.reason);
      if (this.pendingReceipts > 0) {
        const dropped = this.d.repo.prunePending(now - this.opts.pendingReceiptTtlMs);
        if (dropped > 0) {
          this.pendingReceipts = this.d.repo.pendingCount();
          this.log.warn({ receipts: dropped }, 'dropped delivery receipts that never matched a submitted message');
        }
      }
    });
    this.notify(changes);
  }

  /** Claims and submits as much as the transport can take now. */
  pump(): void {
    const transport = this.transport;
    if (!transport || !this.running || this.pumping || !this.d.db.$client.open) return;
    this.pumping = true;
    try {
      const now = this.d.clock.now();
      for (const [lane, q] of this.queues) {
        const state = transport.lane(lane);
        if (!state.up) {
          if (q.length > 0) this.haltQueue(q, now, now + this.opts.laneDownRecheckMs);
          continue;
        }
        let free = state.free;
        if (free <= 0) continue;
        this.compact(q);
        if (q.length < free) this.claim(lane, q, Math.max(this.opts.batch, free) - q.length, now);
        let i = 0;
        while (free > 0 && i < q.length) {
          const job = q[i]!;
          if (job.done || job.failure || job.halted) {
            i++;
            continue;
          }
          const seq = job.toSend[job.next]!;
          const part = {
            messageId: job.row.id,
            to: job.row.msisdn,
            from: job.row.sender,
            dataCoding: job.enc.dataCoding,
            payload: job.enc.parts[seq - 1]!,
            seq,
            total: job.row.parts,
            ref: job.row.concatRef,
            validUntil: job.row.expiresAt,
            receipt: true,
          };
          job.outstanding++;
          this.inflightJobs.add(job);
          const accepted = transport.submit(part, lane, (o) => this.outcome(job, seq, o));
          if (!accepted) {
            job.outstanding--;
            if (job.outstanding === 0) this.inflightJobs.delete(job);
            break;
          }
          free--;
          job.next++;
          if (job.next >= job.toSend.length) i++;
        }
        this.compact(q);
      }
    } catch (err) {
      this.log.error({ err }, 'dispatcher pump failed');
    } finally {
      this.pumping = false;
    }
  }

  /** Drops jobs that are fully submitted or finished from the head of the lane queue. */
  private compact(q: Job[]): void {
    let k = 0;
    for (const job of q) if (!job.done && !job.failure && !job.halted && job.next < job.toSend.length) q[k++] = job;
    q.length = k;
  }

  /** Stops sending the lane's waiting jobs: each goes back to the outbox once its parts in flight are answered. */
  private haltQueue(q: Job[], now: number, dueAt: number): void {
    for (const job of q) {
      if (job.done) continue;
      job.halted = true;
      if (job.outstanding > 0) continue;
      job.done = true;
      this.inflightJobs.delete(job);
      if (job.failure) this.complete(job, now);
      else this.ops.push({ t: 'retry', row: job.row, dueAt, error: null, errorCode: null, bindId: null, refund: job.next === 0, at: now });
    }
    q.length = 0;
    this.scheduleFlush();
  }

  private claim(lane: string | null, q: Job[], limit: number, now: number): void {
    if (limit <= 0) return;
    const rows = this.d.repo.claim(lane, now, limit);
    for (const row of rows) {
      const enc = encodeSms(row.text);
      let toSend = Array.from({ length: row.parts }, (_, i) => i + 1);
      // A retry only sends the parts the SMSC has not accepted yet; they keep the same reference.
      if (row.attempts > 1) {
        const accepted = new Set(this.d.repo.parts(row.id).map((p) => p.seq));
        toSend = toSend.filter((s) => !accepted.has(s));
      }
      if (row.expiresAt <= now) {
        this.ops.push({ t: 'final', row, status: 'expired', error: row.error, errorCode: null, bindId: null, at: now });
        continue;
      }
      if (toSend.length === 0) {
        this.ops.push({ t: 'sent', row, bindId: row.bindId ?? '', at: now });
        continue;
      }
      q.push({ row, enc, lane, toSend, next: 0, outstanding: 0, okBind: null, failure: null, halted: false, done: false });
    }
    if (this.ops.length > 0) this.scheduleFlush();
  }

  private outcome(job: Job, seq: number, o: SubmitOutcome): void {
    job.outstanding--;
    const now = this.d.clock.now();
    if (o.ok) {
      this.submitted.inc({ outcome: 'accepted' });
      job.okBind = o.bindId;
      this.ops.push({ t: 'part', job, seq, smsc: o.smsc, smscId: o.smscId, bindId: o.bindId, at: now });
    } else {
      this.submitted.inc({ outcome: o.retryable ? 'retry' : 'rejected' });
      // A permanent refusal outweighs a temporary one: the message cannot succeed.
      if (!job.failure || (job.failure.retryable && !o.retryable)) job.failure = o;
    }
    const finished = job.failure !== null || job.halted || job.next >= job.toSend.length;
    if (job.outstanding === 0 && finished && !job.done) {
      job.done = true;
      this.inflightJobs.delete(job);
      this.complete(job, now);
    }
    this.scheduleFlush();
    this.wake();
  }

  private complete(job: Job, now: number): void {
    const f = job.failure;
    const row = job.row;
    if (!f && job.next < job.toSend.length) {
      this.ops.push({ t: 'retry', row, dueAt: now, error: null, errorCode: null, bindId: null, refund: false, at: now });
      return;
    }
    if (!f) {
      this.ops.push({ t: 'sent', row, bindId: job.okBind ?? '', at: now });
      return;
    }
    if (!f.retryable) {
      this.ops.push({ t: 'final', row, status: 'failed', error: f.code, errorCode: f.status, bindId: f.bindId, at: now });
      return;
    }
    const base = this.opts.retryBaseSeconds * 1000 * 2 ** Math.min(20, Math.max(0, row.attempts - 1));
    const delay = f.retryAfterMs ?? Math.min(this.opts.retryMaxSeconds * 1000, base) * (0.8 + Math.random() * 0.4);
    const dueAt = now + Math.round(delay);
    if (dueAt >= row.expiresAt) {
      this.ops.push({ t: 'final', row, status: 'expired', error: f.code, errorCode: f.status, bindId: f.bindId, at: now });
      return;
    }
    this.ops.push({ t: 'retry', row, dueAt, error: f.code, errorCode: f.status, bindId: f.bindId, refund: false, at: now });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Writes queued outcomes and receipts in one transaction, then tells listeners. */
  flush(): void {
    if (this.ops.length === 0) return;
    if (!this.d.db.$client.open) {
      for (const op of this.ops) if (op.t === 'receipt') op.ack?.(false);
      this.ops = [];
      return;
    }
    const ops = this.ops;
    this.ops = [];
    const changes: StatusChange[] = [];
    const events: UsageEvent[] = [];
    const ack = (ok: boolean) => {
      for (const op of ops) if (op.t === 'receipt' && op.ack) op.ack(ok);
    };
    try {
      tx(this.d.db, () => {
        for (const op of ops) this.apply(op, changes, events);
        this.d.usage.record(events);
      });
    } catch (err) {
      this.log.error({ err, ops: ops.length }, 'could not record send outcomes; the messages stay in flight and are sent again after restart');
      ack(false);
      return;
    }
    ack(true);
    this.notify(changes);
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

  private statusEvent(changes: StatusChange[], row: MessageRow, status: MessageStatus, at: number, error?: string | null, events?: UsageEvent[]): void {
    changes.push({ id: row.id, status, at, subscriberId: row.subscriberId, msisdn: row.msisdn, source: row.source, sourceRef: row.sourceRef, error: error ?? null });
    const e: UsageEvent = {
      at,
      subscriberId: row.subscriberId,
      channel: 'sms',
      type: 'sms_status',
      detail: { messageId: row.id, status, ...(error ? { error } : {}) },
    };
    if (events) events.push(e);
    else this.d.usage.record([e]);
  }

  private apply(op: Op, changes: StatusChange[], events: UsageEvent[]): void {
    const repo = this.d.repo;
    switch (op.t) {
      case 'part': {
        const smscId = normalizeSmscId(op.smscId);
        repo.insertPart({ messageId: op.job.row.id, seq: op.seq, smsc: op.smsc, smscId, bindId: op.bindId, at: op.at });
        if (this.pendingReceipts > 0) this.matchPending(op.smsc, op.smscId, changes, events);
        return;
      }
      case 'sent':
        if (repo.markSent(op.row.id, op.bindId, op.at)) this.statusEvent(changes, op.row, 'sent', op.at, null, events);
        return;
      case 'retry':
        repo.release({ id: op.row.id, dueAt: op.dueAt, at: op.at, error: op.error, errorCode: op.errorCode, bindId: op.bindId, refund: op.refund });
        return;
      case 'final': {
        const current = repo.get(op.row.id);
        if (!current || current.finalAt !== null) return;
        repo.finalize({ id: op.row.id, status: op.status, at: op.at, error: op.error, errorCode: op.errorCode, bindId: op.bindId });
        this.statusEvent(changes, op.row, op.status, op.at, op.error, events);
        return;
      }
      case 'receipt':
        this.applyReceipt(op.r, op.at, changes, events);
        return;
    }
  }

  private applyReceipt(r: ReceiptIn, at: number, changes: StatusChange[], events: UsageEvent[]): void {
    const repo = this.d.repo;
    for (const id of smscIdCandidates(r.smscId)) {
      const part = repo.partBySmscId(r.smsc, id);
      if (part) {
        this.receipts.inc({ match: 'matched' });
        this.applyToPart(part.messageId, part.seq, r.stat, r.err, at, changes, events);
        return;
      }
    }
    // The receipt overtook its submit_sm_resp (or the resp is not written yet): keep it for later.
    this.receipts.inc({ match: 'early' });
    repo.insertPending({ smsc: r.smsc, smscId: normalizeSmscId(r.smscId), stat: r.stat, err: r.err, at });
    this.pendingReceipts++;
  }

  private matchPending(smsc: string, smscId: string, changes: StatusChange[], events: UsageEvent[]): void {
    const repo = this.d.repo;
    for (const id of smscIdCandidates(smscId)) {
      const pend = repo.pendingFor(smsc, id);
      if (pend.length === 0) continue;
      const part = repo.partBySmscId(smsc, normalizeSmscId(smscId));
      if (!part) return;
      for (const p of pend) {
        this.applyToPart(part.messageId, part.seq, p.stat, p.err, p.receivedAt, changes, events);
        repo.deletePending(p.id);
        this.pendingReceipts = Math.max(0, this.pendingReceipts - 1);
      }
      return;
    }
  }

  private applyToPart(messageId: string, seq: number, stat: string, err: string | null, at: number, changes: StatusChange[], events: UsageEvent[]): void {
    const repo = this.d.repo;
    const outcome = receiptOutcome(stat);
    const row = repo.get(messageId);
    if (!row) return;
    if (outcome === 'pending') {
      repo.updatePart({ messageId, seq, status: 'sent', stat, err, at });
      events.push({ at, subscriberId: row.subscriberId, channel: 'sms', type: 'sms_status', detail: { messageId, status: 'intermediate', stat } });
      return;
    }
    repo.updatePart({ messageId, seq, status: outcome, stat, err, at });
    if (outcome === 'delivered') {
      const counts = repo.partCounts(messageId);
      if (counts.delivered >= row.parts && row.status !== 'delivered') {
        repo.finalize({ id: messageId, status: 'delivered', at });
        this.statusEvent(changes, row, 'delivered', at, null, events);
      }
      return;
    }
    if (row.status === 'failed' || row.status === 'delivered' || (row.status === 'expired' && outcome === 'expired')) return;
    const error = `${stat.toUpperCase()}${err ? ` err:${err}` : ''}`;
    repo.finalize({ id: messageId, status: outcome, at, error });
    this.statusEvent(changes, row, outcome, at, error, events);
  }
}
