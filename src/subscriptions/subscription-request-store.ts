import { sql } from 'drizzle-orm';
import type { Database, Tx } from '../db/database';
import { subscribers, subscriptionRequests, subscriptions } from '../db/schema';
import { selectList } from '../db/select-list';
import { name } from '../db/statement';

/** A call to an operator's subscription API, as stored. */
export type SubscriptionRequest = typeof subscriptionRequests.$inferSelect;

/** A due request with what the call needs: the service and the subscriber's number. */
export type DueRequest = Pick<SubscriptionRequest, 'id' | 'action' | 'provider' | 'attempts'> & { serviceId: string; msisdn: string };

const p = sql.placeholder;
const R = subscriptionRequests;

/**
 * The durable queue of operator subscription API calls, on both engines. A claim hides a request from
 * other workers until its lease ends, and the claim's UPDATE decides it (only a request still pending
 * and due is taken), so two processes sharing the database never call the operator twice at once.
 */
export class SubscriptionRequestStore {
  private readonly insert;
  private readonly due;
  private readonly claim;
  private readonly finishSt;
  private readonly retry;
  private readonly bySubscription;

  constructor(database: Database) {
    this.insert = database.statement<never, { id: string; subscriptionId: string; action: string; provider: string; now: number }>(
      sql`INSERT INTO ${R} (${name(R.id)}, ${name(R.subscriptionId)}, ${name(R.action)}, ${name(R.provider)}, ${name(R.status)}, ${name(R.attempts)}, ${name(R.nextAttemptAt)}, ${name(R.createdAt)}, ${name(R.updatedAt)})
          VALUES (${p('id')}, ${p('subscriptionId')}, ${p('action')}, ${p('provider')}, 'pending', 0, ${p('now')}, ${p('now')}, ${p('now')})`,
    );
    this.due = database.statement<DueRequest, { now: number; limit: number }>(
      sql`SELECT ${R.id} AS "id", ${R.action} AS "action", ${R.provider} AS "provider", ${R.attempts} AS "attempts", ${subscriptions.serviceId} AS "serviceId", ${subscribers.msisdn} AS "msisdn"
          FROM ${R} INNER JOIN ${subscriptions} ON ${subscriptions.id} = ${R.subscriptionId} INNER JOIN ${subscribers} ON ${subscribers.id} = ${subscriptions.subscriberId}
          WHERE ${R.status} = 'pending' AND ${R.nextAttemptAt} <= ${p('now')} ORDER BY ${R.nextAttemptAt}, ${R.id} LIMIT ${p('limit')}`,
    );
    this.claim = database.statement<never, { id: string; until: number; now: number }>(
      sql`UPDATE ${R} SET ${name(R.nextAttemptAt)} = ${p('until')}, ${name(R.updatedAt)} = ${p('now')}
          WHERE ${R.id} = ${p('id')} AND ${R.status} = 'pending' AND ${R.nextAttemptAt} <= ${p('now')}`,
    );
    this.finishSt = database.statement<never, { id: string; status: string; attempts: number; result: string; now: number }>(
      sql`UPDATE ${R} SET ${name(R.status)} = ${p('status')}, ${name(R.attempts)} = ${p('attempts')}, ${name(R.lastError)} = ${p('result')}, ${name(R.updatedAt)} = ${p('now')} WHERE ${R.id} = ${p('id')}`,
    );
    this.retry = database.statement<never, { id: string; attempts: number; error: string; at: number; now: number }>(
      sql`UPDATE ${R} SET ${name(R.attempts)} = ${p('attempts')}, ${name(R.lastError)} = ${p('error')}, ${name(R.nextAttemptAt)} = ${p('at')}, ${name(R.updatedAt)} = ${p('now')} WHERE ${R.id} = ${p('id')}`,
    );
    this.bySubscription = database.statement<SubscriptionRequest, { subscriptionId: string }>(
      sql`SELECT ${selectList(R)} FROM ${R} WHERE ${R.subscriptionId} = ${p('subscriptionId')} ORDER BY ${R.createdAt}, ${R.id}`,
    );
  }

  /** Queues a call inside unit `tx` (it commits with the subscriber's request). */
  async enqueue(id: string, subscriptionId: string, action: SubscriptionRequest['action'], provider: string, now: number, tx: Tx): Promise<void> {
    await this.insert.run({ id, subscriptionId, action, provider, now }, tx);
  }

  /** Takes up to `limit` due requests and hides them from other workers until `leaseUntil`. */
  async claimDue(now: number, leaseUntil: number, limit: number, tx: Tx): Promise<DueRequest[]> {
    const found = await this.due.all({ now, limit }, tx);
    const claimed: DueRequest[] = [];
    // Another process may have claimed one since the read: its UPDATE then changes nothing here.
    for (const r of found) if ((await this.claim.run({ id: r.id, until: leaseUntil, now }, tx)) === 1) claimed.push(r);
    return claimed;
  }

  /** Records the final outcome (`done` with the operator's answer, or `failed` with why). */
  async finish(id: string, status: 'done' | 'failed', attempts: number, result: string, now: number, tx: Tx): Promise<void> {
    await this.finishSt.run({ id, status, attempts, result, now }, tx);
  }

  /** Records a temporary failure; the request is due again at `at`. */
  async retryAt(id: string, attempts: number, error: string, at: number, now: number, tx: Tx): Promise<void> {
    await this.retry.run({ id, attempts, error, at, now }, tx);
  }

  /** The calls made for a subscription, oldest first. */
  async forSubscription(subscriptionId: string): Promise<SubscriptionRequest[]> {
    return this.bySubscription.all({ subscriptionId });
  }
}
