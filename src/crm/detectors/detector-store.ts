import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { Database, Statement } from '../../db/database';
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

/** The subscriptions with the ids in this list. */
const byIds = (ids: SQLWrapper[]) => sql`SELECT ${subscriptionFields} FROM ${s} WHERE ${s.id} IN (${sql.join(ids, sql`, `)})`;

/** What the detectors read besides the pass's own activity store: lapse crossings and subscription rows (either engine). */
export class DetectorStore {
  private readonly crossings: Statement<LapseCrossing, { fromDay: number; toDay: number }>;
  private readonly bySubscriberService: Statement<SubscriptionRow, { subscriberId: number; serviceId: string }>;
  private readonly fullBatch: Statement<SubscriptionRow, Record<string, string>>;

  constructor(private readonly database: Database) {
    const l = crmLapseDays;
    const c = crmSubscribers;
    this.crossings = database.statement(
      sql`SELECT ${c.subscriberId}, ${l.firstDay}, ${l.lastDay}, ${l.activeDays}, ${l.lapseDay} FROM ${l}
          JOIN ${c} ON ${c.firstDay} = ${l.firstDay} AND ${c.activeDays} = ${l.activeDays} AND ${c.lastDay} = ${l.lastDay}
          WHERE ${l.lapseDay} > ${sql.placeholder('fromDay')} AND ${l.lapseDay} <= ${sql.placeholder('toDay')}`,
      { raw: true },
    );
    this.bySubscriberService = database.statement(
      sql`SELECT ${subscriptionFields} FROM ${s} WHERE ${s.subscriberId} = ${sql.placeholder('subscriberId')} AND ${s.serviceId} = ${sql.placeholder('serviceId')}`,
    );
    this.fullBatch = database.statement(byIds(Array.from({ length: BATCH }, (_, k) => sql.placeholder(`i${k}`))));
  }

  /** The detector store of `database` (one per database, so its statements are prepared once). */
  static of(database: Database): DetectorStore {
    let st = stores.get(database);
    if (!st) stores.set(database, (st = new DetectorStore(database)));
    return st;
  }

  /** Subscribers whose activity history crosses the lapsing threshold on a day in (fromDay, toDay]. */
  lapseCrossings(fromDay: number, toDay: number): Promise<LapseCrossing[]> {
    return this.crossings.all({ fromDay, toDay });
  }

  /** One subscriber's subscription to one service, if any. */
  subscription(subscriberId: number, serviceId: string): Promise<SubscriptionRow | undefined> {
    return this.bySubscriberService.get({ subscriberId, serviceId });
  }

  /** The subscriptions with these ids (read BATCH at a time). */
  async subscriptions(ids: readonly string[]): Promise<SubscriptionRow[]> {
    const out: SubscriptionRow[] = [];
    for (let i = 0; i < ids.length; i += BATCH) {
      const chunk = ids.slice(i, i + BATCH);
      if (chunk.length === BATCH) {
        const values: Record<string, string> = {};
        chunk.forEach((id, k) => (values[`i${k}`] = id));
        out.push(...(await this.fullBatch.all(values)));
      } else {
        // Only the full batch is worth preparing: a pass has at most one shorter tail.
        out.push(...(await this.database.all<SubscriptionRow>(byIds(chunk.map((id): SQL => sql`${id}`)))));
      }
    }
    return out;
  }
}

const stores = new WeakMap<Database, DetectorStore>();
