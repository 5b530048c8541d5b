import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { prepare, type Prepared } from '../../db/statement';
import { crmLapseDays, crmSubscribers, subscriptions } from '../../db/schema';
import { fields } from '../../reports/stores/rollup-store';
import type { SubscriptionRow } from './types';

/** A regular whose P(alive) crosses the lapsing threshold on `lapseDay`: subscriber, first day, last day, active days, lapse day. */
export type LapseCrossing = [subscriberId: number, firstDay: number, lastDay: number, activeDays: number, lapseDay: number];

/** Subscriptions are read this many ids at a time (one statement for every full batch). */
const BATCH = 256;

const s = subscriptions;
const subscriptionFields = fields({
  id: s.id,
  subscriberId: s.subscriberId,
  serviceId: s.serviceId,
  state: s.state,
  stateEnteredAt: s.stateEnteredAt,
  consecutiveFailures: s.consecutiveFailures,
  renewals: s.renewals,
  lastChargedAt: s.lastChargedAt,
  subscribedAt: s.subscribedAt,
});

/** What the detectors read besides the pass's own activity store: lapse crossings and subscription rows. */
export class DetectorStore {
  private readonly crossings: Prepared<LapseCrossing, { fromDay: number; toDay: number }>;
  private readonly bySubscriberService: Prepared<SubscriptionRow, { subscriberId: number; serviceId: string }>;
  private readonly byIds = new Map<number, Prepared<SubscriptionRow, Record<string, string>>>();

  constructor(private readonly db: Db) {
    const l = crmLapseDays;
    const c = crmSubscribers;
    this.crossings = prepare(
      db,
      sql`SELECT ${c.subscriberId}, ${l.firstDay}, ${l.lastDay}, ${l.activeDays}, ${l.lapseDay} FROM ${l}
          JOIN ${c} ON ${c.firstDay} = ${l.firstDay} AND ${c.activeDays} = ${l.activeDays} AND ${c.lastDay} = ${l.lastDay}
          WHERE ${l.lapseDay} > ${sql.placeholder('fromDay')} AND ${l.lapseDay} <= ${sql.placeholder('toDay')}`,
    );
    this.crossings.statement.raw(true);
    this.bySubscriberService = prepare(
      db,
      sql`SELECT ${subscriptionFields} FROM ${s} WHERE ${s.subscriberId} = ${sql.placeholder('subscriberId')} AND ${s.serviceId} = ${sql.placeholder('serviceId')}`,
    );
  }

  /** The detector store of `db` (one per connection, so its statements are prepared once). */
  static of(db: Db): DetectorStore {
    let st = stores.get(db);
    if (!st) stores.set(db, (st = new DetectorStore(db)));
    return st;
  }

  /** Subscribers whose activity history crosses the lapsing threshold on a day in (fromDay, toDay]. */
  lapseCrossings(fromDay: number, toDay: number): LapseCrossing[] {
    return this.crossings.all({ fromDay, toDay });
  }

  /** One subscriber's subscription to one service, if any. */
  subscription(subscriberId: number, serviceId: string): SubscriptionRow | undefined {
    return this.bySubscriberService.get({ subscriberId, serviceId });
  }

  /** The subscriptions with these ids (read BATCH at a time). */
  subscriptions(ids: readonly string[]): SubscriptionRow[] {
    const out: SubscriptionRow[] = [];
    for (let i = 0; i < ids.length; i += BATCH) {
      const chunk = ids.slice(i, i + BATCH);
      const values: Record<string, string> = {};
      chunk.forEach((id, k) => (values[`i${k}`] = id));
      out.push(...this.byIdCount(chunk.length).all(values));
    }
    return out;
  }

  private byIdCount(n: number): Prepared<SubscriptionRow, Record<string, string>> {
    let p = this.byIds.get(n);
    if (!p) {
      const list = sql.join(
        Array.from({ length: n }, (_, k) => sql.placeholder(`i${k}`)),
        sql`, `,
      );
      p = prepare(this.db, sql`SELECT ${subscriptionFields} FROM ${s} WHERE ${s.id} IN (${list})`);
      // Only the full batch is worth keeping: a pass has at most one shorter tail.
      if (n === BATCH) this.byIds.set(n, p);
    }
    return p;
  }
}

const stores = new WeakMap<Db, DetectorStore>();
