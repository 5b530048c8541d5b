import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { subscriptionRequests } from '../db/schema';

/** A call to an operator's subscription API, as stored. */
export type SubscriptionRequest = typeof subscriptionRequests.$inferSelect;

/** A due request with what the call needs: the service and the subscriber's number. */
export type DueRequest = Pick<SubscriptionRequest, 'id' | 'action' | 'provider' | 'attempts'> & { serviceId: string; msisdn: string };

const p = sql.placeholder;
const R = subscriptionRequests;

/**
 * The synchronous queueing of an operator call, kept only for the synchronous subscribe/unsubscribe
 * requests that session effects and SMS keywords still make (src/subscriptions/sync-request.ts); every
 * other use is the two-engine SubscriptionRequestStore.
 */
export class SubscriptionRequestRepo {
  private readonly insert;

  constructor(db: Db) {
    this.insert = db
      .insert(R)
      .values({ id: p('id'), subscriptionId: p('subscriptionId'), action: p('action'), provider: p('provider'), status: 'pending', attempts: 0, nextAttemptAt: p('now'), createdAt: p('now'), updatedAt: p('now') })
      .prepare();
  }

  /** Queues a call (inside the caller's transaction). */
  enqueue(id: string, subscriptionId: string, action: SubscriptionRequest['action'], provider: string, now: number): void {
    this.insert.run({ id, subscriptionId, action, provider, now });
  }
}
