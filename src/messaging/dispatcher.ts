import type { Counter } from 'prom-client';
import type { Db } from '../db/client';
import type { UnitOfWork } from '../db/database';
import { sqliteClosed } from '../db/handle';
import type { Clock } from '../lib/clock';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import type { UsageLog } from '../usage/usage-log';
import { encodeSms, type EncodedSms } from './encoding';
import type { ClaimPosition, MessageRow, OutboxRepo } from './outbox-repo';
import { OutboxWriter } from './outbox-writer';
import type { ReceiptIn, SubmitOutcome } from './transport';
import type { TransportRouter } from './transport-router';
import type { MessageStatusChange } from './types';

export interface DispatcherOptions {
  /** How often due (deferred, retried) messages are looked for when nothing wakes the dispatcher (ms). */
  pollMs: number;
  /** Rows claimed per lane at a time (at least the free window). */
  batch: number;
  /** Retry backoff: base * 2^(attempt-1), capped, with +-20% jitter (seconds). */
  retryBaseSeconds: number;
  retryMaxSeconds: number;
  /** Receipts that never found their message are dropped after this long (ms, clock time). */
  pendingReceiptTtlMs: number;
  /** Lanes (operator ids; null = numbers no operator owns). */
  lanes: (string | null)[];
  /**
   * Who claims rows (claimed_by): stable across restarts of one gateway, so a restarted process takes
   * its rows back at once; distinct per gateway sharing a database.
   */
  owner: string;
  /** How long a claim holds a row (ms); renewed while the row waits at the head of its lane. */
  claimLeaseMs: number;
}

/** Polls between claims that read a lane from its head (see `Dispatcher.claimed`). */
const CLAIM_RESET_TICKS = 4;

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
  /** Every accepted part asked the SMSC for a receipt. */
  awaitReceipt: boolean;
  failure: Extract<SubmitOutcome, { ok: false }> | null;
  /** Sending stopped before every part went (lane went down, shutting down). */
  halted: boolean;
  done: boolean;
}

/**
 * Moves outbox rows to the transport: claims due rows per lane (operator), submits their parts within
 * the capacity the transport reports (window and TPS per bind), and hands outcomes to the
 * OutboxWriter. Rows are held in memory from claim until their outcome is committed; one held when
 * the process dies is still `queued` in the database and is sent again after restart (at-least-once).
 */
export class Dispatcher {
  private transport: TransportRouter | null = null;
  private readonly queues = new Map<string | null, Job[]>();
  private readonly inflightJobs = new Set<Job>();
  /** Ids of the rows held per lane, from claim until their outcome is committed. */
  private readonly held = new Map<string | null, Set<string>>();
  /**
   * Per lane, how far claims have read: every due queued row before it is held. Forgotten (the next
   * claim reads from the head again) whenever a held row goes back to the outbox still queued, and
   * every CLAIM_RESET_TICKS polls, which also catches rows inserted behind it (a clock that stepped back).
   */
  private readonly claimed = new Map<string | null, ClaimPosition>();
  private pumpScheduled = false;
  private pumping = false;
  private repump = false;
  private running = false;
  private timer: NodeJS.Timeout | null = null;
  private lastSweep = 0;
  private ticks = 0;
  /** Read-only once built: parts are copied into each PDU, never changed. */
  private readonly encoded = new Map<string, EncodedSms>();
  private readonly log: Logger;
  private readonly submitted: Counter<string>;
  private readonly accepted: { inc(): void };
  private readonly writer: OutboxWriter;

  constructor(
    private readonly d: {
      /** The SQLite connection, to stop once it is closed; null on PostgreSQL (see sqliteClosed). */
      db: Db | null;
      repo: OutboxRepo;
      clock: Clock;
      log: Logger;
      metrics: Metrics;
      usage: UsageLog;
      /** Units of work (the core's group commit on SQLite): outcomes are written in them. */
      units: UnitOfWork;
    },
    private readonly opts: DispatcherOptions,
  ) {
    this.log = d.log.child({ comp: 'dispatcher' });
    this.submitted = d.metrics.counter('outbox_parts_submitted_total', 'Message parts handed to a bind, by outcome', ['outcome']);
    this.accepted = this.submitted.labels({ outcome: 'accepted' });
    this.writer = new OutboxWriter({ ...d, pendingReceiptTtlMs: opts.pendingReceiptTtlMs, owner: opts.owner });
    for (const lane of opts.lanes) {
      this.queues.set(lane, []);
      this.held.set(lane, new Set());
    }
    this.writer.onFlushed((ops, ok) => {
      for (const op of ops) {
        if (op.t === 'sent' || op.t === 'retry' || op.t === 'final') this.held.get(op.row.operator)?.delete(op.row.id);
        if (op.t === 'retry' || !ok) this.claimed.clear();
      }
    });
  }

  /** The transports parts go to; the dispatcher waits until they are attached. */
  attach(transport: TransportRouter): void {
    this.transport = transport;
    this.wake();
  }

  /** Registers a status listener. */
  onStatus(fn: (c: MessageStatusChange) => void): void {
    this.writer.onStatus(fn);
  }

  /** Releases rows a previous process held and starts the poll timer. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.writer.start().catch((err: unknown) => this.log.error({ err }, 'could not count early delivery receipts'));
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
    // Jobs not fully submitted are let go (still queued in the database); jobs still waiting for an
    // answer are sent again after restart.
    const now = this.d.clock.now();
    for (const q of this.queues.values()) this.haltQueue(q, now);
    await this.writer.stop();
    // What this process let go of can be claimed by another at once rather than when the lease runs out.
    if (!sqliteClosed(this.d.db)) {
      await this.d.units.unit((tx) => this.d.repo.releaseAll(this.opts.owner, tx)).catch((err: unknown) => this.log.warn({ err }, 'could not release claimed messages'));
    }
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
    this.writer.push({ t: 'receipt', r, at: this.d.clock.now(), ack });
  }

  /** Whether a transport is attached and could take a message for this route now (one of its binds is up). */
  canCarry(lane: string | null): boolean {
    return this.queues.has(lane) && this.transport !== null && this.transport.lane(lane).up;
  }

  /** Parts submitted and awaiting an answer, per lane queue depth in memory. */
  inMemory(): { jobs: number; waiting: number } {
    let waiting = 0;
    for (const q of this.queues.values()) waiting += q.length;
    return { jobs: this.inflightJobs.size, waiting };
  }

  private tick(): void {
    // Reading from the head again costs a claim of every held row: every few polls is enough.
    if (++this.ticks % CLAIM_RESET_TICKS === 0) this.claimed.clear();
    const now = this.d.clock.now();
    if (now - this.lastSweep >= Math.min(this.opts.pollMs * 20, 10_000)) {
      this.lastSweep = now;
      this.writer.sweep(now).catch((err: unknown) => this.log.error({ err }, 'outbox sweep failed'));
    }
    this.pump();
  }

  /** Expires what validity ran out on and drops receipts that never matched; resolves once durable. */
  sweep(now = this.d.clock.now()): Promise<void> {
    return this.writer.sweep(now);
  }

  /** Claims and submits as much as the transport can take now. */
  pump(): void {
    const transport = this.transport;
    if (!transport || !this.running || sqliteClosed(this.d.db)) return;
    // A claim awaits the database: a wake that arrives meanwhile pumps again once this pump is done.
    if (this.pumping) {
      this.repump = true;
      return;
    }
    this.pumping = true;
    this.pumpLanes(transport)
      .catch((err: unknown) => this.log.error({ err }, 'dispatcher pump failed'))
      .finally(() => {
        this.pumping = false;
        if (this.repump) {
          this.repump = false;
          this.wake();
        }
      });
  }

  private async pumpLanes(transport: TransportRouter): Promise<void> {
    const now = this.d.clock.now();
    for (const [lane, q] of this.queues) {
      let state = transport.lane(lane);
      if (!state.up) {
        if (q.length > 0) this.haltQueue(q, now);
        continue;
      }
      let free = state.free;
      if (free <= 0) continue;
      this.compact(q);
      if (q.length < free) {
        await this.claim(lane, q, Math.max(this.opts.batch, free) - q.length, now);
        // The claim read the database: the lane may have changed meanwhile.
        if (!this.running) return;
        state = transport.lane(lane);
        free = state.up ? state.free : 0;
      }
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
          text: job.row.text,
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
  }

  /** Drops jobs that are fully submitted or finished from the head of the lane queue. */
  private compact(q: Job[]): void {
    let k = 0;
    for (const job of q) if (!job.done && !job.failure && !job.halted && job.next < job.toSend.length) q[k++] = job;
    q.length = k;
  }

  /** Stops sending the lane's waiting jobs: each goes back to the outbox once its parts in flight are answered. */
  private haltQueue(q: Job[], now: number): void {
    this.claimed.clear();
    for (const job of q) {
      if (job.done) continue;
      job.halted = true;
      if (job.outstanding > 0) continue;
      job.done = true;
      this.inflightJobs.delete(job);
      this.complete(job, now);
    }
    q.length = 0;
  }

  private async claim(lane: string | null, q: Job[], limit: number, now: number): Promise<void> {
    if (limit <= 0) return;
    const held = this.held.get(lane)!;
    const after = this.claimed.get(lane);
    const lease = { owner: this.opts.owner, until: now + this.opts.claimLeaseMs };
    // The durable claim is the truth (another process may share the outbox); `held` is this process's window.
    const { rows, last } = await this.d.units.unit((tx) =>
      after ? this.d.repo.claimAfter(lane, now, limit, after, held, lease, tx) : this.d.repo.claim(lane, now, limit, held, lease, tx),
    );
    if (last) this.claimed.set(lane, last);
    else this.claimed.delete(lane);
    for (const row of rows) held.add(row.id);
    for (const row of rows) {
      const enc = this.encode(row.text);
      let toSend = Array.from({ length: row.parts }, (_, i) => i + 1);
      // Only the parts the SMSC has not accepted yet go (a retry, or a restart mid-message); they keep
      // the same reference so the handset still joins them.
      if (row.parts > 1) {
        const accepted = new Set((await this.d.repo.parts(row.id)).map((p) => p.seq));
        toSend = toSend.filter((s) => !accepted.has(s));
      }
      // An HTTP aggregator takes the whole text in one request and splits it itself.
      if (this.transport?.wholeMessagesFor(lane)) toSend = toSend.includes(1) ? [1] : [];
      if (row.expiresAt <= now) {
        this.writer.push({ t: 'final', row, status: 'expired', error: row.error, errorCode: null, bindId: null, attempt: false, at: now });
        continue;
      }
      if (toSend.length === 0) {
        this.writer.push({ t: 'sent', row, bindId: row.bindId ?? '', awaitReceipt: true, at: now });
        continue;
      }
      q.push({ row, enc, lane, toSend, next: 0, outstanding: 0, okBind: null, awaitReceipt: true, failure: null, halted: false, done: false });
    }
  }

  /** The encoded parts of a text; a campaign sends one text to many, so recent ones are kept. */
  private encode(text: string): EncodedSms {
    let enc = this.encoded.get(text);
    if (!enc) {
      if (this.encoded.size >= 64) this.encoded.clear();
      enc = encodeSms(text);
      this.encoded.set(text, enc);
    }
    return enc;
  }

  private outcome(job: Job, seq: number, o: SubmitOutcome): void {
    // Refill the window before the writer's flush (both run on setImmediate, in the order asked), so
    // the SMSC works while we write.
    this.wake();
    job.outstanding--;
    const now = this.d.clock.now();
    if (o.ok) {
      this.accepted.inc();
      job.okBind = o.bindId;
      if (o.receipt === false) job.awaitReceipt = false;
      this.writer.push({ t: 'part', messageId: job.row.id, seq, smsc: o.smsc, smscId: o.smscId, bindId: o.bindId, at: now });
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
  }

  private complete(job: Job, now: number): void {
    const f = job.failure;
    const row = job.row;
    if (!f && job.next < job.toSend.length) {
      // Stopped early (lane down, shutdown): nothing to write, the row is still queued and due.
      this.held.get(job.lane)?.delete(row.id);
      this.claimed.clear();
      return;
    }
    if (!f) {
      this.writer.push({ t: 'sent', row, bindId: job.okBind ?? '', awaitReceipt: job.awaitReceipt, at: now });
      return;
    }
    if (!f.retryable) {
      this.writer.push({ t: 'final', row, status: 'failed', error: f.code, errorCode: f.status, bindId: f.bindId, attempt: true, at: now });
      return;
    }
    // row.attempts counts earlier attempts: the first retry waits base, then doubling.
    const base = this.opts.retryBaseSeconds * 1000 * 2 ** Math.min(20, row.attempts);
    const delay = f.retryAfterMs ?? Math.min(this.opts.retryMaxSeconds * 1000, base) * (0.8 + Math.random() * 0.4);
    const dueAt = now + Math.round(delay);
    if (dueAt >= row.expiresAt) {
      this.writer.push({ t: 'final', row, status: 'expired', error: f.code, errorCode: f.status, bindId: f.bindId, attempt: true, at: now });
      return;
    }
    this.writer.push({ t: 'retry', row, dueAt, error: f.code, errorCode: f.status, bindId: f.bindId, at: now });
  }
}
