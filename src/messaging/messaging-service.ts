import type { Config } from '../config';
import type { Db } from '../db/client';
import { dbOpen, inTransaction } from '../db/handle';
import { tx } from '../db/client';
import type { Clock } from '../lib/clock';
import { DAY, HOUR, iso } from '../lib/clock';
import { AppError, badRequest } from '../lib/errors';
import type { Lifecycle } from '../lib/lifecycle';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import { normalizeMsisdn, requireMsisdn } from '../lib/msisdn';
import type { OperatorDirectory } from '../subscribers/operators';
import type { Subscriber, SubscriberService } from '../subscribers/subscriber-service';
import type { UsageLog } from '../usage/usage-log';
import { BulkEnqueue, SENDER_RE } from './bulk-enqueue';
import { Dispatcher } from './dispatcher';
import { newId } from '../lib/ids';
import { encodingFor, splitText } from './encoding';
import { MoIntake } from './mo-intake';
import { MoRouter, type MoRoute, type SmsContentLookup } from './mo-router';
import { OutboxRepo, type MessageRow } from './outbox-repo';
import { quietUntil } from './quiet-hours';
import type { MoPartIn, ReceiptIn, SmsTransport } from './transport';
import type {
  BulkCommon,
  BulkRecipient,
  EnqueueRefused,
  EnqueueRequest,
  EnqueueResult,
  MessageKind,
  MessageStatusChange,
  MessageView,
  MessagingPort,
  MoInterceptor,
} from './types';
import { REPLY_ADDRESS_RE } from './types';
import { TransportRouter } from './transport-router';

/** An address as an MO came from that is not a phone number (see REPLY_ADDRESS_RE). */
function validAddress(raw: string): string {
  const a = raw.trim();
  if (!REPLY_ADDRESS_RE.test(a)) throw badRequest('INVALID_ADDRESS', `to "${a.slice(0, 32)}" is neither a phone number nor a sender address (up to 20 letters and digits).`);
  return a;
}

export interface MessagingServiceDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  usage: UsageLog;
  subscribers: SubscriberService;
  operators: OperatorDirectory;
  config: Pick<Config, 'messaging' | 'defaults' | 'operators'>;
  /** SMS keywords of the flows (entry points) and their content. */
  content: SmsContentLookup;
  /**
   * The core's group commit: runs `fn` in the shared transaction and resolves once it is committed.
   * Without it each batch commits on its own.
   */
  commits?: { run<T>(fn: () => T): Promise<T> };
}

/**
 * Messaging: the durable outbox with its policies (opt-out, quiet hours, frequency cap), the
 * dispatcher that feeds the attached transport, delivery receipts, and routing of received SMS.
 */
export class MessagingService implements MessagingPort, Lifecycle {
  private readonly repo: OutboxRepo;
  private readonly dispatcher: Dispatcher;
  private readonly router: MoRouter;
  private readonly interceptors: MoInterceptor[] = [];
  private readonly log: Logger;
  private concatRef = Math.floor(Math.random() * 256);
  private readonly intake: MoIntake;
  private readonly bulk: BulkEnqueue;
  private readonly transports = new TransportRouter();

  constructor(private readonly d: MessagingServiceDeps) {
    this.log = d.log.child({ comp: 'messaging' });
    this.repo = new OutboxRepo(d.db);
    this.bulk = new BulkEnqueue({ repo: this.repo, usage: d.usage, operators: d.operators, config: d.config, nextConcatRef: () => this.nextConcatRef() });
    const cfg = d.config.messaging;
    const commit = (fn: () => void): Promise<void> => (d.commits ? d.commits.run(fn) : Promise.resolve(tx(d.db, fn)));
    this.dispatcher = new Dispatcher(
      { db: d.db, repo: this.repo, clock: d.clock, log: d.log, metrics: d.metrics, usage: d.usage, commit },
      {
        pollMs: cfg.dispatch.pollMs,
        batch: cfg.dispatch.batch,
        retryBaseSeconds: cfg.retry.baseSeconds,
        retryMaxSeconds: cfg.retry.maxSeconds,
        pendingReceiptTtlMs: DAY,
        lanes: [...d.config.operators.map((o) => o.id), null],
      },
    );
    this.router = new MoRouter({
      subscribers: d.subscribers,
      usage: d.usage,
      enqueue: (req) => this.enqueue(req),
      content: d.content,
      interceptors: this.interceptors,
      config: cfg,
      defaultLanguage: d.config.defaults.language,
      metrics: d.metrics,
      log: this.log,
    });
    this.intake = new MoIntake({
      db: d.db,
      clock: d.clock,
      log: this.log,
      subscribers: d.subscribers,
      router: this.router,
      enqueue: (req) => this.enqueue(req),
      commit,
      countryCode: d.config.defaults.countryCode,
      concatTimeoutSeconds: cfg.concatTimeoutSeconds,
    });
    this.transports.setWakeup(() => this.dispatcher.wake());
    this.dispatcher.attach(this.transports);
    d.metrics.gauge('outbox_messages', 'Messages waiting to be sent (queued) and waiting for a receipt (sent)', ['status'], (g) => {
      if (!dbOpen(d.db)) return;
      const depth = this.repo.depth();
      g.set({ status: 'queued' }, depth.queued);
      g.set({ status: 'sent' }, depth.sent);
    });
  }

  /**
   * Accepts a message: validates it, applies the policies and writes the outbox row (and the
   * `sms_out` usage event) before returning. Promotional messages are blocked for opted-out
   * subscribers and beyond the frequency cap, and wait out quiet hours; transactional ones only
   * honour `notBefore`. Runs in its own transaction or the caller's.
   */
  enqueue(req: EnqueueRequest): EnqueueResult {
    const now = this.d.clock.now();
    const cfg = this.d.config.messaging;
    const cc = this.d.config.defaults.countryCode;
    // A reply goes back to the address the MO came from, phone number or not (short code "123").
    const address = req.toAddress && typeof req.to === 'string' && !normalizeMsisdn(req.to, cc) ? validAddress(req.to) : null;
    const to = address ?? requireMsisdn(req.to, cc, 'to');
    if (typeof req.text !== 'string' || req.text.trim() === '') throw badRequest('INVALID_TEXT', 'text must be a non-empty string.');
    if (req.from != null && !SENDER_RE.test(req.from)) {
      throw badRequest('INVALID_SENDER', 'from must be a number of up to 15 digits or an alphanumeric sender of up to 11 characters.');
    }
    const kind: MessageKind = req.kind ?? 'promotional';
    if (kind !== 'promotional' && kind !== 'transactional') throw badRequest('INVALID_KIND', 'kind must be transactional or promotional.');
    const encoding = encodingFor(req.text);
    const parts = splitText(req.text, encoding).length;
    if (parts > cfg.maxParts) {
      throw badRequest('TEXT_TOO_LONG', `The text needs ${parts} SMS parts; at most ${cfg.maxParts} are allowed (${encoding === 'gsm7' ? 153 : 67} characters each).`);
    }
    if (address) {
      const id = req.id ?? newId('msg', now);
      const row = { id, subscriberId: null, msisdn: address, sender: req.from ?? null, text: req.text, kind: 'transactional' as const, source: req.source ?? 'mo_reply', sourceRef: req.sourceRef ?? null };
      this.atomic(() =>
        this.repo.insert({ ...row, status: 'queued', reason: null, operator: null, encoding, parts, concatRef: this.nextConcatRef(), dueAt: now, expiresAt: now + cfg.validityHours * HOUR, receiptRequested: 0, createdAt: now, finalAt: null }),
      );
      this.dispatcher.wake();
      return { id, status: 'queued', parts };
    }
    const operator = this.d.operators.forMsisdn(to);
    const result = this.atomic(() => {
      // Sending to someone is not hearing from them: an existing subscriber's last-seen stays put.
      const sub = this.d.subscribers.ensure(to, { at: now, touch: false });
      let blocked: string | null = null;
      let reason: string | null = null;
      let due = Math.max(now, req.notBefore ?? now);
      if (kind === 'promotional') {
        const cap = cfg.frequencyCap.promotional;
        if (sub.optedOut) blocked = 'opted_out';
        else if (cap > 0 && this.repo.promotionalSince(sub.id, now - cfg.frequencyCap.days * DAY) >= cap) blocked = 'frequency_cap';
        if (!blocked) {
          const until = quietUntil(due, cfg.quietHours, this.timezoneFor(sub, operator));
          if (until !== null) {
            due = until;
            reason = 'quiet_hours';
          }
        }
      }
      const id = req.id ?? newId('msg', now);
      const concatRef = this.nextConcatRef();
      this.repo.insert({
        id,
        subscriberId: sub.id,
        msisdn: to,
        sender: req.from ?? null,
        text: req.text,
        kind,
        source: req.source ?? 'api',
        sourceRef: req.sourceRef ?? null,
        status: blocked ? 'blocked' : 'queued',
        reason: blocked ?? reason,
        operator,
        encoding,
        parts,
        concatRef,
        dueAt: due,
        expiresAt: due + cfg.validityHours * HOUR,
        receiptRequested: req.receipt === 'all' ? 1 : req.receipt === 'failures' ? 2 : 0,
        createdAt: now,
        finalAt: blocked ? now : null,
      });
      if (!blocked) {
        this.d.usage.record([
          {
            at: now,
            subscriberId: sub.id,
            channel: 'sms',
            type: 'sms_out',
            detail: { messageId: id, kind, source: req.source ?? 'api', parts, ...(reason ? { deferred: reason, sendAt: due } : {}) },
          },
        ]);
      }
      const out: EnqueueResult = { id, status: blocked ? 'blocked' : 'queued', parts };
      if (blocked ?? reason) out.reason = (blocked ?? reason)!;
      if (!blocked && due > now) out.sendAt = due;
      return out;
    });
    if (result.status === 'queued') this.dispatcher.wake();
    return result;
  }

  /**
   * Enqueues one message to each of many subscribers the caller has read in its transaction (a
   * campaign batch): the policies, rows and `sms_out` events of `enqueue`, without looking anyone up
   * by number and with the frequency cap counted in one query. A refused request (bad text) gets its
   * error in its slot. Durable on return, in its own transaction or the caller's.
   */
  enqueueBulk(common: BulkCommon, recipients: readonly BulkRecipient[]): Array<EnqueueResult | EnqueueRefused> {
    const now = this.d.clock.now();
    const results = this.atomic(() => this.bulk.run(now, common, recipients));
    if (results.some((r) => 'status' in r && r.status === 'queued')) this.dispatcher.wake();
    return results;
  }

  private nextConcatRef(): number {
    this.concatRef = (this.concatRef + 1) & 0xff;
    return this.concatRef;
  }

  /** Runs `fn` in a transaction, or directly inside the caller's (a savepoint per message costs). */
  private atomic<T>(fn: () => T): T {
    return inTransaction(this.d.db) ? fn() : tx(this.d.db, fn);
  }

  /**
   * Enqueues many messages in one transaction (campaigns, bulk senders): one commit instead of one per
   * message. A request the caller got wrong gets its error in its slot; the others still go.
   */
  enqueueMany(reqs: readonly EnqueueRequest[]): Array<EnqueueResult | { error: { code: string; message: string } }> {
    return tx(this.d.db, () =>
      reqs.map((req) => {
        try {
          return this.enqueue(req);
        } catch (err) {
          if (err instanceof AppError) return { error: { code: err.code, message: err.message } };
          throw err;
        }
      }),
    );
  }

  private timezoneFor(sub: Subscriber, operator: string | null): string {
    return this.d.operators.timezoneOf(sub.operator) ?? this.d.operators.timezoneOf(operator) ?? this.d.config.messaging.timezone;
  }

  /** The message as the API shows it, or null. */
  get(id: string): MessageView | null {
    const m = this.repo.get(id);
    if (!m) return null;
    const partRows = m.parts > 0 ? this.repo.parts(id) : [];
    return {
      id: m.id,
      to: m.msisdn,
      from: m.sender,
      text: m.text,
      kind: m.kind,
      status: m.status,
      reason: m.reason,
      parts: m.parts,
      partsSent: partRows.length,
      partsDelivered: partRows.filter((p) => p.status === 'delivered').length,
      encoding: m.encoding,
      attempts: m.attempts,
      error: m.error,
      source: m.source,
      sourceRef: m.sourceRef,
      createdAt: iso(m.createdAt),
      sendAt: m.status === 'queued' ? iso(m.dueAt) : null,
      sentAt: iso(m.sentAt),
      deliveredAt: iso(m.deliveredAt),
      finalAt: iso(m.finalAt),
      expiresAt: iso(m.expiresAt),
    };
  }

  /** The raw outbox row (partner receipts need the times). */
  row(id: string): MessageRow | null {
    return this.repo.get(id);
  }

  /** Listens to status changes (sent, delivered, failed, expired), after they are committed. */
  onStatus(listener: (change: MessageStatusChange) => void): void {
    this.dispatcher.onStatus(listener);
  }

  /** Adds a hook that may consume an MO before keyword routing (polls). */
  addMoInterceptor(fn: MoInterceptor): void {
    this.interceptors.push(fn);
  }

  /** Whether any attached transport can take a message for this operator's numbers now (null: numbers no operator owns). */
  canCarry(operator: string | null): boolean {
    return this.dispatcher.canCarry(operator);
  }

  /**
   * How a channel (SMPP binds, an HTTP aggregator) gives the dispatcher a sender; the core never
   * imports a channel. With several, each operator's numbers go to the one that serves it (TransportRouter).
   */
  attachTransport(transport: SmsTransport): void {
    this.transports.add(transport);
  }

  /**
   * A delivery receipt from the transport; applied in order with submit outcomes. `ack(true)` once it
   * is committed: only then may the transport acknowledge it to the SMSC.
   */
  handleReceipt(r: ReceiptIn, ack?: (ok: boolean) => void): void {
    this.dispatcher.receipt(r, ack);
  }

  /**
   * A received SMS part. Parts arriving in the same event-loop turn are stored and routed in one
   * transaction (single parts decoded and routed, parts of a concatenated message kept until their
   * siblings arrive); `ack(true)` once committed, so the transport acknowledges only what is durable.
   */
  handleMoPart(p: MoPartIn, ack?: (ok: boolean) => void): void {
    this.intake.handlePart(p, ack);
  }

  /**
   * A whole SMS from an HTTP aggregator (`source` names it, `externalId` is its id): a repeat of an id
   * already received is a duplicate and changes nothing; otherwise recorded and routed like an SMPP MO
   * (any sender address). Resolves once committed, so the aggregator is answered only for what is durable.
   */
  receiveSms(m: { source: string; externalId: string | null; from: string; to: string; text: string; receivedAt: number | null }): Promise<{ duplicate: boolean; route: MoRoute | null }> {
    const run = () => this.intake.receiveSms(m);
    return this.d.commits ? this.d.commits.run(run) : Promise.resolve(tx(this.d.db, run));
  }

  /** Routes a decoded SMS from an E.164 number (other channels that receive SMS, tests). */
  routeMo(mo: { from: string; to: string; text: string; at: number }, parts = 1): MoRoute {
    return this.intake.route(mo, parts);
  }

  /**
   * Stores one part of a concatenated submit (a partner's) until its siblings arrive, then enqueues the
   * whole text. `id` is the message id every part is answered with: the one chosen for the group's
   * first part, even across a restart. `result` is set when this part completed the message.
   */
  enqueuePart(p: { groupKey: string; seq: number; total: number; dataCoding: number; data: Buffer; request: Omit<EnqueueRequest, 'text'> & { id: string } }): {
    id: string;
    result: EnqueueResult | null;
  } {
    return this.intake.enqueuePart(p);
  }

  /** Final messages of a source (partner) whose receipt was asked for and not yet handed over. */
  receiptsDue(source: string, limit = 100): MessageRow[] {
    return this.repo.receiptsDue(source, limit);
  }

  /** Marks a partner receipt handed over. */
  markReceiptSent(id: string): void {
    this.repo.markReceiptSent(id, this.d.clock.now());
  }

  /** Parts submitted and awaiting an answer, and claimed parts waiting for capacity. */
  inMemory(): { jobs: number; waiting: number } {
    return this.dispatcher.inMemory();
  }

  /** Looks for due messages now (tests, after moving a manual clock). */
  wake(): void {
    this.dispatcher.wake();
  }

  /** Expires what ran out of validity now (also runs periodically). */
  sweep(): void {
    this.dispatcher.sweep();
    this.intake.sweep();
  }

  /** Starts the dispatcher and the reassembly sweeper. */
  start(): void {
    this.dispatcher.start();
    this.intake.start();
  }

  /** Stops claiming and drains what is in flight. */
  async stop(): Promise<void> {
    this.intake.stop();
    await this.dispatcher.stop();
  }
}
