import { and, asc, eq, lte, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { tx } from '../db/client';
import { subscribers, subscriptionRequests, subscriptions } from '../db/schema';

/** A call to an operator's subscription API, as stored. */
export type SubscriptionRequest = typeof subscriptionRequests.$inferSelect;

/** A due request with what the call needs: the service and the subscriber's number. */
export type DueRequest = Pick<SubscriptionRequest, 'id' | 'action' | 'provider' | 'attempts'> & { serviceId: string; msisdn: string };

const p = sql.placeholder;
/** A value bound as given in an UPDATE's SET (drizzle's set() types take no placeholders); encoded by the caller. */
const bind = (name: string) => sql`${p(name)}`;
const R = subscriptionRequests;

function statements(db: Db) {
  return {
    insert: db
      .insert(R)
      .values({ id: p('id'), subscriptionId: p('subscriptionId'), action: p('action'), provider: p('provider'), status: 'pending', attempts: 0, nextAttemptAt: p('now'), createdAt: p('now'), updatedAt: p('now') })
      .prepare(),
    due: db
      .select({ id: R.id, action: R.action, provider: R.provider, attempts: R.attempts, serviceId: subscriptions.serviceId, msisdn: subscribers.msisdn })
      .from(R)
      .innerJoin(subscriptions, eq(subscriptions.id, R.subscriptionId))
      .innerJoin(subscribers, eq(subscribers.id, subscriptions.subscriberId))
      .where(and(eq(R.status, 'pending'), lte(R.nextAttemptAt, p('now'))))
      .orderBy(asc(R.nextAttemptAt))
      .limit(p('limit'))
      .prepare(),
    claim: db
      .update(R)
      .set({ nextAttemptAt: bind('until'), updatedAt: bind('now') })
      .where(and(eq(R.id, p('id')), eq(R.status, 'pending')))
      .prepare(),
    finish: db.update(R).set({ status: bind('status'), attempts: bind('attempts'), lastError: bind('result'), updatedAt: bind('now') }).where(eq(R.id, p('id'))).prepare(),
    retry: db.update(R).set({ attempts: bind('attempts'), lastError: bind('error'), nextAttemptAt: bind('at'), updatedAt: bind('now') }).where(eq(R.id, p('id'))).prepare(),
    bySubscription: db.select().from(R).where(eq(R.subscriptionId, p('subscriptionId'))).orderBy(asc(R.createdAt), asc(R.id)).prepare(),
  };
}

/**
 * The durable queue of operator subscription API calls. A claim hides a request from other workers
 * until its lease ends, so two processes sharing the database never call the operator twice at once.
 */
export class SubscriptionRequestRepo {
  private readonly s: ReturnType<typeof statements>;

  constructor(private readonly db: Db) {
    this.s = statements(db);
  }

  /** Queues a call (inside the caller's transaction). */
  enqueue(id: string, subscriptionId: string, action: SubscriptionRequest['action'], provider: string, now: number): void {
    this.s.insert.run({ id, subscriptionId, action, provider, now });
  }

  /** Takes up to `limit` due requests and hides them from other workers until `leaseUntil`. */
  claimDue(now: number, leaseUntil: number, limit: number): DueRequest[] {
    return tx(this.db, () => {
      const found = this.s.due.all({ now, limit });
      for (const r of found) this.s.claim.run({ id: r.id, until: leaseUntil, now });
      return found;
    });
  }

  /** Records the final outcome (`done` with the operator's answer, or `failed` with why). */
  finish(id: string, status: 'done' | 'failed', attempts: number, result: string, now: number): void {
    this.s.finish.run({ id, status, attempts, result, now });
  }

  /** Records a temporary failure; the request is due again at `at`. */
  retryAt(id: string, attempts: number, error: string, at: number, now: number): void {
    this.s.retry.run({ id, attempts, error, at, now });
  }

  /** The calls made for a subscription, oldest first. */
  forSubscription(subscriptionId: string): SubscriptionRequest[] {
    return this.s.bySubscription.all({ subscriptionId });
  }
}
