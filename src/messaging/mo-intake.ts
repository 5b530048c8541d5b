import type { Database, Tx, UnitOfWork } from '../db/database';
import type { Clock } from '../lib/clock';
import type { Logger } from '../lib/logger';
import { normalizeMsisdn } from '../lib/msisdn';
import type { Subscriber } from '../subscribers/subscriber-service';
import { ConcatBuffer, joinParts, type ConcatGroup } from './concat-buffer';
import { decodeText } from './encoding';
import { InboundRepo } from './inbound-repo';
import type { MoRoute, MoRouter } from './mo-router';
import type { MoPartIn } from './transport';
import type { EnqueueRequest, EnqueueResult, InboundSms } from './types';
import { REPLY_ADDRESS_RE } from './types';

export interface MoIntakeDeps {
  database: Database;
  /** Units of work: each received SMS is one, so a bad one does not take the others with it. */
  units: UnitOfWork;
  clock: Clock;
  log: Logger;
  subscribers: { ensureIn(tx: Tx, msisdn: string, opts: { at?: number }): Promise<Subscriber> };
  router: MoRouter;
  /** The unit-taking enqueue (partners' concatenated submits, the sweep). */
  enqueueIn(req: EnqueueRequest, tx: Tx): Promise<EnqueueResult>;
  countryCode: string;
  concatTimeoutSeconds: number;
}

/**
 * What arrives as SMS parts: subscribers' MOs (one unit of work each, gathered per event-loop turn so
 * they share a group commit on SQLite; concatenated ones reassembled durably, then routed) and partners' concatenated submits (reassembled,
 * then queued). Incomplete groups are handed on with what arrived after the timeout.
 */
export class MoIntake {
  private readonly concat: ConcatBuffer;
  private readonly inbound: InboundRepo;
  private queue: Array<{ p: MoPartIn; ack?: ((ok: boolean) => void) | undefined }> = [];
  private timer: NodeJS.Timeout | null = null;
  /**
   * Set by stop(), which the messaging service calls before the server closes the database (src/server.ts
   * stop()): what arrives later is refused, so the SMSC sends it again to a running gateway.
   */
  private stopped = false;

  constructor(private readonly d: MoIntakeDeps) {
    this.concat = new ConcatBuffer(d.database);
    this.inbound = new InboundRepo(d.database);
  }

  /** Queues a received part; `ack(true)` once it is committed (the transport acknowledges only then). */
  handlePart(p: MoPartIn, ack?: (ok: boolean) => void): void {
    this.queue.push({ p, ack });
    if (this.queue.length === 1) setImmediate(() => this.flush());
  }

  private flush(): void {
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    if (this.stopped) {
      for (const item of batch) item.ack?.(false);
      return;
    }
    // One unit per message: one bad message does not take the others with it; acknowledged once durable.
    for (const item of batch) {
      this.d.units.unit((tx) => this.receive(item.p, tx)).then(
        () => item.ack?.(true),
        (err: unknown) => {
          this.d.log.error({ err, msisdn: item.p.from }, 'could not store a received SMS; the SMSC is asked to resend');
          item.ack?.(false);
        },
      );
    }
  }

  private async receive(p: MoPartIn, tx: Tx): Promise<MoRoute | 'buffered'> {
    const at = this.d.clock.now();
    // A sender that is not a phone number (short code "123", "INFO", a number of another plan) is
    // still routed and answered, under the address as received.
    const from = normalizeMsisdn(p.from, this.d.countryCode) ?? p.from.trim();
    const source = `smpp:${p.bindId}`;
    if (p.concat && p.concat.total > 1) {
      const group = await this.concat.add(
        {
          groupKey: `mo|${from}|${p.to}|${p.concat.ref}|${p.concat.total}`,
          seq: p.concat.seq,
          total: p.concat.total,
          dataCoding: p.dataCoding,
          data: p.payload,
          meta: { from, to: p.to, source },
          at,
        },
        tx,
      );
      return group ? this.routeGroup(group, at, tx) : 'buffered';
    }
    return this.routeAny({ from, to: p.to, text: decodeText(p.payload, p.dataCoding), at, source }, 1, tx);
  }

  /** Routes a decoded SMS from any address: phone numbers through their subscriber, others recorded under the address. */
  private async routeAny(mo: { from: string; to: string; text: string; at: number; source: string }, parts: number, tx: Tx): Promise<MoRoute> {
    if (normalizeMsisdn(mo.from, this.d.countryCode) === mo.from) return (await this.routeIn(mo, parts, tx)).route;
    let route: MoRoute | 'unroutable' = 'unroutable';
    // Kept even when it cannot be answered: the SMSC must not resend it forever.
    if (!REPLY_ADDRESS_RE.test(mo.from)) this.d.log.warn({ source: mo.source, length: mo.from.length }, 'MO from an address no reply can go to; recorded, not answered');
    else route = await this.d.router.routeAddress(mo, tx);
    await this.inbound.insert({ source: mo.source, externalId: null, fromAddr: mo.from, toAddr: mo.to, text: mo.text, subscriberId: null, route, receivedAt: mo.at, createdAt: mo.at }, tx);
    return route === 'unroutable' ? 'default' : route;
  }

  /**
   * A whole SMS handed over by an HTTP aggregator, inside unit `tx`: ignored when the aggregator already
   * handed over the same id (the insert decides, see InboundRepo), else recorded in `inbound_sms` and
   * routed like an SMPP MO.
   */
  async receiveSms(m: { source: string; externalId: string | null; from: string; to: string; text: string; receivedAt: number | null }, tx: Tx): Promise<{ duplicate: boolean; route: MoRoute | null }> {
    const at = this.d.clock.now();
    const phone = normalizeMsisdn(m.from, this.d.countryCode);
    const from = phone ?? m.from.trim();
    // Recorded first, so a repeat is known before anything is written or routed; who sent it and the
    // route are filled in after.
    const id = await this.inbound.insert({ source: m.source, externalId: m.externalId, fromAddr: from, toAddr: m.to, text: m.text, subscriberId: null, route: 'unroutable', receivedAt: m.receivedAt ?? at, createdAt: at }, tx);
    if (id === null) return { duplicate: true, route: null };
    let route: MoRoute | null = null;
    let subscriberId: number | null = null;
    if (phone) ({ route, subscriberId } = await this.routeIn({ from: phone, to: m.to, text: m.text, at }, 1, tx));
    else if (REPLY_ADDRESS_RE.test(from)) route = await this.d.router.routeAddress({ from, to: m.to, text: m.text, at }, tx);
    else this.d.log.warn({ source: m.source, length: from.length }, 'incoming SMS from an address no reply can go to; recorded, not answered');
    if (route !== null || subscriberId !== null) await this.inbound.setRoute(id, route ?? 'unroutable', subscriberId, tx);
    return { duplicate: false, route };
  }

  /**
   * Routes a decoded SMS from an E.164 number in a unit of its own, resolving once durable
   * (MessagingService.routeMo: what tests drive; the channels go through handlePart / receiveSms).
   */
  route(mo: { from: string; to: string; text: string; at: number }, parts = 1): Promise<MoRoute> {
    return this.d.units.unit(async (tx) => (await this.routeIn(mo, parts, tx)).route);
  }

  /** Routes a decoded SMS from an E.164 number inside unit `tx`: its subscriber, usage, interceptors and replies. */
  private async routeIn(mo: { from: string; to: string; text: string; at: number }, parts: number, tx: Tx): Promise<{ route: MoRoute; subscriberId: number }> {
    const sub = await this.d.subscribers.ensureIn(tx, mo.from, { at: mo.at });
    const inbound: InboundSms = { subscriberId: sub.id, from: mo.from, to: mo.to, text: mo.text, at: mo.at };
    return { route: await this.d.router.route(sub, inbound, parts, tx), subscriberId: sub.id };
  }

  private routeGroup(group: ConcatGroup, at: number, tx: Tx): Promise<MoRoute> {
    const text = joinParts(group, decodeText);
    if (group.missing.length > 0) this.d.log.warn({ msisdn: group.meta.from, missing: group.missing }, 'concatenated MO incomplete after the timeout; routing what arrived');
    const source = typeof group.meta.source === 'string' ? group.meta.source : 'smpp';
    return this.routeAny({ from: String(group.meta.from), to: String(group.meta.to), text, at, source }, group.parts.length, tx);
  }

  /** See MessagingService.enqueuePart (inside unit `tx`). */
  async enqueuePart(
    p: { groupKey: string; seq: number; total: number; dataCoding: number; data: Buffer; request: Omit<EnqueueRequest, 'text'> & { id: string } },
    tx: Tx,
  ): Promise<{ id: string; result: EnqueueResult | null }> {
    const groupKey = `submit|${p.groupKey}`;
    const first = (await this.concat.metaOf(groupKey, tx)) as { request?: EnqueueRequest } | null;
    const request = first?.request ?? p.request;
    const group = await this.concat.add({ groupKey, seq: p.seq, total: p.total, dataCoding: p.dataCoding, data: p.data, meta: { request }, at: this.d.clock.now() }, tx);
    const id = request.id ?? p.request.id;
    if (!group) return { id, result: null };
    return { id, result: await this.d.enqueueIn({ ...request, id, text: joinParts(group, decodeText) }, tx) };
  }

  /** Hands on groups still incomplete after the timeout: MOs are routed, submits queued, with what arrived. */
  async sweep(): Promise<void> {
    if (this.stopped) return;
    const now = this.d.clock.now();
    try {
      await this.d.units.unit(async (tx) => {
        for (const g of await this.concat.expired(now - this.d.concatTimeoutSeconds * 1000, tx)) {
          if (g.groupKey.startsWith('mo|')) {
            await this.routeGroup(g, now, tx);
            continue;
          }
          const request = (g.meta as { request?: EnqueueRequest }).request;
          if (!request) continue;
          this.d.log.warn({ messageId: request.id, missing: g.missing }, 'concatenated submit incomplete after the timeout; sending what arrived');
          try {
            await this.d.enqueueIn({ ...request, text: joinParts(g, decodeText) || ' ' }, tx);
          } catch (err) {
            this.d.log.warn({ err, messageId: request.id }, 'incomplete concatenated submit could not be queued');
          }
        }
      });
    } catch (err) {
      this.d.log.error({ err }, 'concatenated message sweep failed');
    }
  }

  /** Starts the periodic sweep. */
  start(): void {
    this.stopped = false;
    const every = Math.min(60_000, Math.max(1000, (this.d.concatTimeoutSeconds * 1000) / 4));
    this.timer = setInterval(() => void this.sweep(), every);
    this.timer.unref();
  }

  /** Stops the sweep and writes what is queued. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.flush();
    this.stopped = true;
  }
}
