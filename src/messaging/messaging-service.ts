import { hostname } from 'node:os';
import type { Config } from '../config';
import type { Db } from '../db/client';
import type { Database, Tx, UnitOfWork } from '../db/database';
import { GroupCommit } from '../db/group-commit';
import { sqliteClosed, sqliteFor } from '../db/handle';
import { sqliteDatabase } from '../db/sqlite-database';
import type { Clock } from '../lib/clock';
import { DAY, iso } from '../lib/clock';
import { AppError } from '../lib/errors';
import type { Lifecycle } from '../lib/lifecycle';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import type { OperatorDirectory } from '../subscribers/operators';
import type { Subscriber, SubscriberService } from '../subscribers/subscriber-service';
import type { UsageLog } from '../usage/usage-log';
import { BulkEnqueue } from './bulk-enqueue';
import { Dispatcher } from './dispatcher';
import { addressMessage, capWindow, checkRequest, subscriberMessage } from './enqueue-plan';
import { MoIntake } from './mo-intake';
import { MoRouter, type MoRoute, type SmsContentLookup } from './mo-router';
import { OutboxRepo, type MessageRow } from './outbox-repo';
import type { MoPartIn, ReceiptIn, SmsTransport } from './transport';
import type { BulkCommon, BulkRecipient, EnqueueRefused, EnqueueRequest, EnqueueResult, MessageStatusChange, MessageView, MessagingPort, MoInterceptor } from './types';
import { TransportRouter } from './transport-router';

export interface MessagingServiceDeps {
  /** The SQLite connection behind the synchronous forms (`enqueue`, ...); null on PostgreSQL, where only the unit forms exist. */
  db: Db | null;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  usage: UsageLog;
  subscribers: SubscriberService;
  operators: OperatorDirectory;
  config: Pick<Config, 'messaging' | 'defaults' | 'operators'>;
  /** SMS keywords of the flows (entry points) and their content. */
  content: SmsContentLookup;
  /** The database the outbox is written for (src/db/database.ts); default: the SQLite connection `db`. */
  database?: Database;
  /**
   * Units of work: the core's group commit (src/db/group-commit.ts). Default: a group commit of this
   * service's own (a process that only enqueues synchronously, the CRM pass's worker, never uses it).
   */
  units?: UnitOfWork;
  /**
   * Who this gateway's dispatcher claims outbox rows as: the gateway's instance id (src/config/instance-id.ts).
   * Default: the host name (tests and tools that build messaging alone).
   */
  dispatcherId?: string;
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
  private readonly units: UnitOfWork;

  constructor(private readonly d: MessagingServiceDeps) {
    this.log = d.log.child({ comp: 'messaging' });
    const database = d.database ?? sqliteDatabase(sqliteFor(d.db, 'MessagingService without a database'));
    const units = (this.units = d.units ?? new GroupCommit(sqliteFor(d.db, 'MessagingService without units')));
    this.repo = new OutboxRepo(database);
    this.bulk = new BulkEnqueue({ repo: this.repo, usage: d.usage, operators: d.operators, config: d.config, nextConcatRef: () => this.nextConcatRef() });
    const cfg = d.config.messaging;
    this.dispatcher = new Dispatcher(
      { db: d.db, repo: this.repo, clock: d.clock, log: d.log, metrics: d.metrics, usage: d.usage, units },
      {
        pollMs: cfg.dispatch.pollMs,
        batch: cfg.dispatch.batch,
        retryBaseSeconds: cfg.retry.baseSeconds,
        retryMaxSeconds: cfg.retry.maxSeconds,
        pendingReceiptTtlMs: DAY,
        lanes: [...d.config.operators.map((o) => o.id), null],
        owner: d.dispatcherId ?? hostname(),
        claimLeaseMs: cfg.dispatch.claimLeaseSeconds * 1000,
      },
    );
    this.router = new MoRouter({
      subscribers: d.subscribers,
      usage: d.usage,
      enqueueIn: (req, tx) => this.enqueueIn(req, tx),
      content: d.content,
      interceptors: this.interceptors,
      config: cfg,
      defaultLanguage: d.config.defaults.language,
      metrics: d.metrics,
      log: this.log,
    });
    this.intake = new MoIntake({
      database,
      units,
      clock: d.clock,
      log: this.log,
      subscribers: d.subscribers,
      router: this.router,
      enqueueIn: (req, tx) => this.enqueueIn(req, tx),
      countryCode: d.config.defaults.countryCode,
      concatTimeoutSeconds: cfg.concatTimeoutSeconds,
    });
    this.transports.setWakeup(() => this.dispatcher.wake());
    this.dispatcher.attach(this.transports);
    d.metrics.gauge('outbox_messages', 'Messages waiting to be sent (queued) and waiting for a receipt (sent)', ['status'], async (g) => {
      if (sqliteClosed(d.db)) return;
      const depth = await this.repo.depth();
      g.set({ status: 'queued' }, depth.queued);
      g.set({ status: 'sent' }, depth.sent);
    });
  }

  /**
   * Accepts a message inside unit of work `tx`: validates it, applies the policies and writes the outbox
   * row (and the `sms_out` usage event), durable when the caller's unit is. Promotional messages are
   * blocked for opted-out subscribers and beyond the frequency cap, and wait out quiet hours; transactional
   * ones only honour `notBefore`. A refused request throws before anything is written.
   */
  async enqueueIn(req: EnqueueRequest, tx: Tx): Promise<EnqueueResult> {
    const now = this.d.clock.now();
    const cfg = this.d.config.messaging;
    const c = checkRequest(req, cfg, this.d.config.defaults.countryCode);
    let result: EnqueueResult;
    if (c.address) {
      const planned = addressMessage(req, c, now, cfg, this.nextConcatRef());
      await this.repo.insertIn(planned.row, tx);
      result = planned.result;
    } else {
      const operator = this.d.operators.forMsisdn(c.to);
      // Sending to someone is not hearing from them: an existing subscriber's last-seen stays put.
      const sub = await this.d.subscribers.ensureIn(tx, c.to, { at: now, touch: false });
      const since = capWindow(c, sub, now, cfg);
      const promoCount = since === null ? null : await this.repo.promotionalSinceIn(sub.id, since, tx);
      const plan = subscriberMessage(req, c, { sub, operator, timezone: this.timezoneFor(sub, operator), promoCount, now, concatRef: this.nextConcatRef() }, cfg);
      await this.repo.insertIn(plan.row, tx);
      if (plan.event) await this.d.usage.recordIn(tx, [plan.event]);
      result = plan.result;
    }
    if (result.status === 'queued') this.dispatcher.wake();
    return result;
  }

  /** Accepts a message in a unit of its own (the API): resolves once it is durable. */
  send(req: EnqueueRequest): Promise<EnqueueResult> {
    return this.units.unit((tx) => this.enqueueIn(req, tx));
  }

  /**
   * Enqueues one message to each of many subscribers the caller has read in unit of work `tx` (a campaign
   * batch): the policies, rows and `sms_out` events of `enqueueIn`, without looking anyone up by number
   * and with the frequency cap counted in one query. A refused request (bad text) gets its error in its slot.
   */
  async enqueueBulkIn(common: BulkCommon, recipients: readonly BulkRecipient[], tx: Tx): Promise<Array<EnqueueResult | EnqueueRefused>> {
    const results = await this.bulk.runIn(this.d.clock.now(), common, recipients, tx);
    if (results.some((r) => 'status' in r && r.status === 'queued')) this.dispatcher.wake();
    return results;
  }

  private nextConcatRef(): number {
    this.concatRef = (this.concatRef + 1) & 0xff;
    return this.concatRef;
  }

  /**
   * Enqueues many messages in one unit of work (the smpp bench's campaign stand-in): one commit instead of
   * one per message; resolves once durable. A request the caller got wrong gets its error in its slot
   * (enqueueIn refuses before it writes); the others still go.
   */
  enqueueMany(reqs: readonly EnqueueRequest[]): Promise<Array<EnqueueResult | { error: { code: string; message: string } }>> {
    return this.units.unit(async (tx) => {
      const out: Array<EnqueueResult | { error: { code: string; message: string } }> = [];
      for (const req of reqs) {
        try {
          out.push(await this.enqueueIn(req, tx));
        } catch (err) {
          if (!(err instanceof AppError)) throw err;
          out.push({ error: { code: err.code, message: err.message } });
        }
      }
      return out;
    });
  }

  private timezoneFor(sub: Subscriber, operator: string | null): string {
    return this.d.operators.timezoneOf(sub.operator) ?? this.d.operators.timezoneOf(operator) ?? this.d.config.messaging.timezone;
  }

  /** The message as the API shows it, or null. */
  async get(id: string): Promise<MessageView | null> {
    const m = await this.repo.get(id);
    if (!m) return null;
    const partRows = m.parts > 0 ? await this.repo.parts(id) : [];
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
  row(id: string): Promise<MessageRow | null> {
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
   * A received SMS part, stored and routed in a unit of work of its own (single parts decoded and routed, parts of a concatenated message kept until their
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
    return this.units.unit((tx) => this.intake.receiveSms(m, tx));
  }

  /**
   * Routes a decoded SMS from an E.164 number in a unit of work of its own; resolves once durable (tests
   * drive MOs through it; the channels go through handleMoPart / receiveSms).
   */
  routeMo(mo: { from: string; to: string; text: string; at: number }, parts = 1): Promise<MoRoute> {
    return this.intake.route(mo, parts);
  }

  /**
   * Stores one part of a concatenated submit (a partner's) until its siblings arrive, then enqueues the
   * whole text. `id` is the message id every part is answered with: the one chosen for the group's
   * first part, even across a restart. `result` is set when this part completed the message. A unit
   * of its own: resolves once durable.
   */
  enqueuePart(p: { groupKey: string; seq: number; total: number; dataCoding: number; data: Buffer; request: Omit<EnqueueRequest, 'text'> & { id: string } }): Promise<{
    id: string;
    result: EnqueueResult | null;
  }> {
    return this.units.unit((tx) => this.intake.enqueuePart(p, tx));
  }

  /** Final messages of a source (partner) whose receipt was asked for and not yet handed over. */
  receiptsDue(source: string, limit = 100): Promise<MessageRow[]> {
    return this.repo.receiptsDue(source, limit);
  }

  /** Marks a partner receipt handed over; resolves once durable. */
  markReceiptSent(id: string): Promise<void> {
    const at = this.d.clock.now();
    return this.units.unit((tx) => this.repo.markReceiptSent(id, at, tx));
  }

  /** Parts submitted and awaiting an answer, and claimed parts waiting for capacity. */
  inMemory(): { jobs: number; waiting: number } {
    return this.dispatcher.inMemory();
  }

  /** Looks for due messages now (tests, after moving a manual clock). */
  wake(): void {
    this.dispatcher.wake();
  }

  /** Expires what ran out of validity now (also runs periodically); resolves once durable. */
  async sweep(): Promise<void> {
    await this.dispatcher.sweep();
    await this.intake.sweep();
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
