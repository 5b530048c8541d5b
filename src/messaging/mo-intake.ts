import type { Db } from '../db/client';
import { dbOpen, inTransaction } from '../db/handle';
import { tx } from '../db/client';
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
  db: Db;
  clock: Clock;
  log: Logger;
  subscribers: { ensure(msisdn: string, opts: { at?: number }): Subscriber };
  router: MoRouter;
  enqueue(req: EnqueueRequest): EnqueueResult;
  /** Runs `fn` in a transaction and resolves once it is committed. */
  commit(fn: () => void): Promise<void>;
  countryCode: string;
  concatTimeoutSeconds: number;
}

/**
 * What arrives as SMS parts: subscribers' MOs (batched per event-loop turn into one transaction,
 * concatenated ones reassembled durably, then routed) and partners' concatenated submits (reassembled,
 * then queued). Incomplete groups are handed on with what arrived after the timeout.
 */
export class MoIntake {
  private readonly concat: ConcatBuffer;
  private readonly inbound: InboundRepo;
  private queue: Array<{ p: MoPartIn; ack?: ((ok: boolean) => void) | undefined }> = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly d: MoIntakeDeps) {
    this.concat = new ConcatBuffer(d.db);
    this.inbound = new InboundRepo(d.db);
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
    if (!dbOpen(this.d.db)) {
      for (const item of batch) item.ack?.(false);
      return;
    }
    const results: boolean[] = [];
    const fail = (err: unknown) => {
      this.d.log.error({ err, messages: batch.length }, 'could not store received SMS; the SMSC is asked to resend');
      for (const item of batch) item.ack?.(false);
    };
    try {
      this.d.commit(() => {
        for (const item of batch) {
          try {
            // A savepoint each (a transaction inside the group's is one): one bad message does not take
            // the others with it.
            tx(this.d.db, () => this.receive(item.p));
            results.push(true);
          } catch (err) {
            this.d.log.error({ err, msisdn: item.p.from }, 'could not process a received SMS');
            results.push(false);
          }
        }
      }).then(() => batch.forEach((item, i) => item.ack?.(results[i]!)), fail);
    } catch (err) {
      fail(err);
    }
  }

  private receive(p: MoPartIn): MoRoute | 'buffered' {
    const at = this.d.clock.now();
    // A sender that is not a phone number (short code "123", "INFO", a number of another plan) is
    // still routed and answered, under the address as received.
    const from = normalizeMsisdn(p.from, this.d.countryCode) ?? p.from.trim();
    const source = `smpp:${p.bindId}`;
    if (p.concat && p.concat.total > 1) {
      const group = this.concat.add({
        groupKey: `mo|${from}|${p.to}|${p.concat.ref}|${p.concat.total}`,
        seq: p.concat.seq,
        total: p.concat.total,
        dataCoding: p.dataCoding,
        data: p.payload,
        meta: { from, to: p.to, source },
        at,
      });
      return group ? this.routeGroup(group, at) : 'buffered';
    }
    return this.routeAny({ from, to: p.to, text: decodeText(p.payload, p.dataCoding), at, source }, 1);
  }

  /** Routes a decoded SMS from any address: phone numbers through their subscriber, others recorded under the address. */
  private routeAny(mo: { from: string; to: string; text: string; at: number; source: string }, parts: number): MoRoute {
    if (normalizeMsisdn(mo.from, this.d.countryCode) === mo.from) return this.route(mo, parts);
    let route: MoRoute | 'unroutable' = 'unroutable';
    // Kept even when it cannot be answered: the SMSC must not resend it forever.
    if (!REPLY_ADDRESS_RE.test(mo.from)) this.d.log.warn({ source: mo.source, length: mo.from.length }, 'MO from an address no reply can go to; recorded, not answered');
    else route = this.d.router.routeAddress(mo);
    this.inbound.insert({ source: mo.source, externalId: null, fromAddr: mo.from, toAddr: mo.to, text: mo.text, subscriberId: null, route, receivedAt: mo.at, createdAt: mo.at });
    return route === 'unroutable' ? 'default' : route;
  }

  /**
   * A whole SMS handed over by an HTTP aggregator: ignored when the aggregator already handed over the
   * same id, else recorded in `inbound_sms` and routed like an SMPP MO. Call inside a transaction.
   */
  receiveSms(m: { source: string; externalId: string | null; from: string; to: string; text: string; receivedAt: number | null }): { duplicate: boolean; route: MoRoute | null } {
    if (m.externalId !== null && this.inbound.seen(m.source, m.externalId)) return { duplicate: true, route: null };
    const at = this.d.clock.now();
    const phone = normalizeMsisdn(m.from, this.d.countryCode);
    const from = phone ?? m.from.trim();
    let route: MoRoute | null = null;
    let subscriberId: number | null = null;
    if (phone) {
      subscriberId = this.d.subscribers.ensure(phone, { at }).id;
      route = this.route({ from: phone, to: m.to, text: m.text, at }, 1);
    } else if (REPLY_ADDRESS_RE.test(from)) route = this.d.router.routeAddress({ from, to: m.to, text: m.text, at });
    else this.d.log.warn({ source: m.source, length: from.length }, 'incoming SMS from an address no reply can go to; recorded, not answered');
    this.inbound.insert({ source: m.source, externalId: m.externalId, fromAddr: from, toAddr: m.to, text: m.text, subscriberId, route: route ?? 'unroutable', receivedAt: m.receivedAt ?? at, createdAt: at });
    return { duplicate: false, route };
  }

  /** Routes a decoded SMS from an E.164 number. */
  route(mo: { from: string; to: string; text: string; at: number }, parts = 1): MoRoute {
    const run = () => {
      const sub = this.d.subscribers.ensure(mo.from, { at: mo.at });
      const inbound: InboundSms = { subscriberId: sub.id, from: mo.from, to: mo.to, text: mo.text, at: mo.at };
      return this.d.router.route(sub, inbound, parts);
    };
    return inTransaction(this.d.db) ? run() : tx(this.d.db, run);
  }

  private routeGroup(group: ConcatGroup, at: number): MoRoute {
    const text = joinParts(group, decodeText);
    if (group.missing.length > 0) this.d.log.warn({ msisdn: group.meta.from, missing: group.missing }, 'concatenated MO incomplete after the timeout; routing what arrived');
    const source = typeof group.meta.source === 'string' ? group.meta.source : 'smpp';
    return this.routeAny({ from: String(group.meta.from), to: String(group.meta.to), text, at, source }, group.parts.length);
  }

  /** See MessagingService.enqueuePart. */
  enqueuePart(p: { groupKey: string; seq: number; total: number; dataCoding: number; data: Buffer; request: Omit<EnqueueRequest, 'text'> & { id: string } }): {
    id: string;
    result: EnqueueResult | null;
  } {
    return tx(this.d.db, () => {
      const groupKey = `submit|${p.groupKey}`;
      const first = this.concat.metaOf(groupKey) as { request?: EnqueueRequest } | null;
      const request = first?.request ?? p.request;
      const group = this.concat.add({ groupKey, seq: p.seq, total: p.total, dataCoding: p.dataCoding, data: p.data, meta: { request }, at: this.d.clock.now() });
      const id = request.id ?? p.request.id;
      if (!group) return { id, result: null };
      return { id, result: this.d.enqueue({ ...request, id, text: joinParts(group, decodeText) }) };
    });
  }

  /** Hands on groups still incomplete after the timeout: MOs are routed, submits queued, with what arrived. */
  sweep(): void {
    if (!dbOpen(this.d.db)) return;
    const now = this.d.clock.now();
    try {
      tx(this.d.db, () => {
        for (const g of this.concat.expired(now - this.d.concatTimeoutSeconds * 1000)) {
          if (g.groupKey.startsWith('mo|')) {
            this.routeGroup(g, now);
            continue;
          }
          const request = (g.meta as { request?: EnqueueRequest }).request;
          if (!request) continue;
          this.d.log.warn({ messageId: request.id, missing: g.missing }, 'concatenated submit incomplete after the timeout; sending what arrived');
          try {
            this.d.enqueue({ ...request, text: joinParts(g, decodeText) || ' ' });
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
    const every = Math.min(60_000, Math.max(1000, (this.d.concatTimeoutSeconds * 1000) / 4));
    this.timer = setInterval(() => this.sweep(), every);
    this.timer.unref();
  }

  /** Stops the sweep and writes what is queued. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (dbOpen(this.d.db)) this.flush();
    else for (const item of this.queue.splice(0)) item.ack?.(false);
  }
}
