import type { Counter } from 'prom-client';
import type { Database, Tx, UnitOfWork } from '../db/database';
import { DAY, SECOND, iso, type Clock } from '../lib/clock';
import { newId } from '../lib/ids';
import type { Lifecycle } from '../lib/lifecycle';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import type { ServiceCatalog } from './service-catalog';
import type { DueRequest } from './subscription-request-store';
import { SubscriptionRequestStore } from './subscription-request-store';
import { ProviderError, type SubscriptionProvider } from './types';

export interface RequestQueueDeps {
  database: Database;
  units: UnitOfWork;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  catalog: ServiceCatalog;
  providers: () => readonly SubscriptionProvider[];
  maxAttempts: number;
  retryBaseMs: number;
  /** How often due requests are looked for (ms); a new request is also tried at once. */
  pollMs?: number;
  /** How long a claimed request is hidden from other workers while its call runs (ms). */
  leaseMs?: number;
}

/**
 * Calls to operators' subscription APIs (create on subscribe, delete on unsubscribe), durable: the
 * request row commits with the subscriber's request, and a worker calls the provider afterwards,
 * outside any transaction, retrying temporary failures with backoff. A crash between the two only
 * delays the call (at-least-once; the operator's APIs treat a repeat as already done).
 */
export class RequestQueue implements Lifecycle {
  private readonly store: SubscriptionRequestStore;
  private readonly calls: Counter<string>;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private started = false;

  constructor(private readonly d: RequestQueueDeps) {
    this.log = d.log.child({ comp: 'subscription-requests' });
    this.store = new SubscriptionRequestStore(d.database);
    this.calls = d.metrics.counter('subscription_requests_total', 'Calls to operator subscription APIs', ['provider', 'action', 'outcome']);
  }

  /** Queues a call for this subscription inside unit `tx`; returns the request id. */
  async enqueueIn(subscriptionId: string, action: 'subscribe' | 'unsubscribe', provider: string, tx: Tx): Promise<string> {
    const now = this.d.clock.now();
    const id = newId('sreq', now);
    await this.store.enqueue(id, subscriptionId, action, provider, now, tx);
    return id;
  }

  /** Tries queued calls soon: after a unit that queued one has committed. */
  wake(): void {
    if (this.started) setImmediate(() => this.kick());
  }

  /** The operator API calls made for a subscription, oldest first (support: did the operator get it?). */
  async forSubscription(subscriptionId: string): Promise<Record<string, unknown>[]> {
    return (await this.store.forSubscription(subscriptionId)).map((r) => ({
      id: r.id,
      action: r.action,
      provider: r.provider,
      status: r.status,
      attempts: r.attempts,
      ...(r.status === 'pending' ? { nextAttemptAt: iso(r.nextAttemptAt) } : {}),
      result: r.lastError,
      createdAt: iso(r.createdAt),
      updatedAt: iso(r.updatedAt),
    }));
  }

  /** Processes every due request once; resolves when done. Safe to call while a run is going. */
  async drain(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.runOnce();
        } while (this.again);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  private kick(): void {
    this.drain().catch((err: unknown) => this.log.error({ err }, 'subscription request run failed'));
  }

  private async runOnce(): Promise<void> {
    // Bounded: a run handles at most 20 batches; anything left waits for the next poll.
    for (let batch = 0; batch < 20; batch++) {
      const now = this.d.clock.now();
      const lease = this.d.leaseMs ?? 60_000;
      const rows = await this.d.units.unit((tx) => this.store.claimDue(now, now + lease, 50, tx));
      if (rows.length === 0) return;
      for (const r of rows) await this.call(r);
    }
  }

  private async call(r: DueRequest): Promise<void> {
    const now = () => this.d.clock.now();
    const provider = this.d.providers().find((p) => p.name === r.provider);
    const service = this.d.catalog.byId(r.serviceId);
    if (!provider || !service) {
      const why = provider ? `service ${r.serviceId} is no longer configured` : `provider ${r.provider} is not attached`;
      await this.d.units.unit((tx) => this.store.finish(r.id, 'failed', r.attempts, why, now(), tx));
      this.calls.inc({ provider: r.provider, action: r.action, outcome: 'failed' });
      return;
    }
    const attempts = r.attempts + 1;
    // The operator's call happens outside any unit (a unit awaits only the database); its outcome is one unit.
    let out: Awaited<ReturnType<SubscriptionProvider['subscribe']>>;
    try {
      out = r.action === 'subscribe' ? await provider.subscribe(r.msisdn, service) : await provider.unsubscribe(r.msisdn, service);
    } catch (err) {
      await this.failed(r, attempts, err);
      return;
    }
    await this.d.units.unit((tx) => this.store.finish(r.id, 'done', attempts, out.detail.slice(0, 500), now(), tx));
    this.calls.inc({ provider: r.provider, action: r.action, outcome: 'done' });
    this.log.info({ msisdn: r.msisdn, service: r.serviceId, action: r.action, provider: r.provider }, 'operator subscription request accepted');
  }

  /** Records a failed call: given up (not retryable, or out of attempts) or due again after a backoff. */
  private async failed(r: DueRequest, attempts: number, err: unknown): Promise<void> {
    const now = () => this.d.clock.now();
    const retryable = err instanceof ProviderError ? err.retryable : true;
    const message = (err as Error).message.slice(0, 500);
    if (!retryable || attempts >= this.d.maxAttempts) {
      await this.d.units.unit((tx) => this.store.finish(r.id, 'failed', attempts, message, now(), tx));
      this.calls.inc({ provider: r.provider, action: r.action, outcome: 'failed' });
      this.log.warn({ msisdn: r.msisdn, service: r.serviceId, action: r.action, provider: r.provider, attempts, error: message }, 'operator subscription request failed');
    } else {
      const wait = Math.min(this.d.retryBaseMs * 2 ** (attempts - 1), DAY);
      await this.d.units.unit((tx) => this.store.retryAt(r.id, attempts, message, now() + wait, now(), tx));
      this.calls.inc({ provider: r.provider, action: r.action, outcome: 'retry' });
      this.log.info({ msisdn: r.msisdn, service: r.serviceId, action: r.action, attempts, error: message }, 'operator subscription request will be retried');
    }
  }

  start(): void {
    this.started = true;
    this.timer = setInterval(() => this.kick(), this.d.pollMs ?? 5 * SECOND);
    this.timer.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    this.started = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.running) await this.running.catch(() => undefined);
  }
}
