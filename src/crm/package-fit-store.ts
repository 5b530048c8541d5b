import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { crmSnapshots, crmSubscribers, subscriptions } from '../db/schema';
import { name, prepare, type Prepared } from '../db/statement';

type Subscription = typeof subscriptions.$inferSelect;
type Activity = typeof crmSubscribers.$inferSelect;

/**
 * One subscription's run with its subscriber's activity history, as raw columns: [service id, state,
 * subscribed at, state entered at, first active day, last active day, active days].
 */
export type SubscriptionLife = [Subscription['serviceId'], Subscription['state'], number, Subscription['stateEnteredAt'], Activity['firstDay'], Activity['lastDay'], Activity['activeDays'] | null];

/** The package-fit snapshot's read of every subscription that ever started, and its write. */
export class PackageFitStore {
  private readonly lives: Prepared<SubscriptionLife>;
  private readonly put: Prepared<never, { kind: string; day: number; data: string; at: number }>;

  constructor(db: Db) {
    const s = subscriptions;
    const c = crmSubscribers;
    this.lives = prepare(
      db,
      sql`SELECT ${s.serviceId}, ${s.state}, ${s.subscribedAt}, ${s.stateEnteredAt}, ${c.firstDay}, ${c.lastDay}, ${c.activeDays}
       FROM ${s} LEFT JOIN ${c} ON ${c.subscriberId} = ${s.subscriberId}
       WHERE ${s.subscribedAt} IS NOT NULL AND ${s.state} IN ('active', 'grace', 'suspended', 'cancelled', 'expired')`,
    );
    this.lives.statement.raw();
    const t = crmSnapshots;
    this.put = prepare(
      db,
      sql`INSERT INTO ${t} (${name(t.kind)}, ${name(t.day)}, ${name(t.data)}, ${name(t.at)}) VALUES (${sql.placeholder('kind')}, ${sql.placeholder('day')}, ${sql.placeholder('data')}, ${sql.placeholder('at')})
        ON CONFLICT (${name(t.kind)}, ${name(t.day)}) DO UPDATE SET ${name(t.data)} = excluded.${name(t.data)}, ${name(t.at)} = excluded.${name(t.at)}`,
    );
  }

  /** Every subscription run (live or ended) with its subscriber's activity, one at a time. */
  subscriptionLives(): IterableIterator<SubscriptionLife> {
    return this.lives.iterate();
  }

  /** Stores (or replaces) the day's package-fit snapshot. */
  save(day: number, data: unknown, at: number): void {
    this.put.run({ kind: 'package_fit', day, data: JSON.stringify(data), at });
  }
}
