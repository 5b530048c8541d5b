import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { tx } from '../db/client';
import { crmFits, crmLapseDays, crmSubscribers, subscriptions } from '../db/schema';
import { name, prepare, type Prepared } from '../db/statement';
import { DAY } from '../lib/clock';

const p = sql.placeholder;

/** A stored fit as the scores read it (params and quality parsed). */
export type StoredFit = Pick<typeof crmFits.$inferSelect, 'model' | 'serviceId' | 'cohort' | 'params' | 'quality'>;
/** A fit to store (JSON columns as values; the store serialises them). */
export type FitToSave = Omit<typeof crmFits.$inferInsert, 'quality'> & { quality: unknown };
/** Activity histories grouped: [first day, active days, last day, subscribers]. */
export type HistoryGroup = [number, number, number, number];
/** Subscriptions grouped: [service id, start day, state, renewals, subscriptions]. */
export type SubscriptionGroup = [string, number, string, number, number];
/** An activity history: [first day, active days, last day]. */
export type History = [number, number, number];

type LapseParams = { first: number; active: number; last: number; lapse: number | null };

/** The models' fits (crm_fits), the data they are fitted on, and the lapse day of each activity history. */
export class FitsStore {
  private readonly all: Prepared<{ model: string; serviceId: string; cohort: string; params: string; quality: string }, { first: string }>;
  private readonly lastFit: Prepared<{ t: number | null }>;
  private readonly histories: Prepared<HistoryGroup, { today: number }>;
  private readonly prevOf: Prepared<{ serviceId: string; cohort: string; params: string }, { model: string }>;
  private readonly clearModel: Prepared<never, { model: string }>;
  private readonly save: Prepared<never, Record<string, unknown>>;
  private readonly subs: Prepared<SubscriptionGroup>;
  private readonly addLapse: Prepared<never, LapseParams>;
  private readonly distinctHistories: Prepared<History>;
  private readonly putLapse: Prepared<never, LapseParams>;
  private readonly clearLapse: Prepared<never>;

  constructor(private readonly db: Db) {
    const f = crmFits;
    this.all = prepare(
      db,
      sql`SELECT ${f.model} AS model, ${f.serviceId} AS serviceId, ${f.cohort} AS cohort, ${f.params} AS params, ${f.quality} AS quality
          FROM ${f} ORDER BY ${f.cohort} = ${p('first')} DESC`,
    );
    this.lastFit = prepare(db, sql`SELECT max(${f.fittedAt}) AS t FROM ${f}`);
    const c = crmSubscribers;
    this.histories = prepare(
      db,
      sql`SELECT ${c.firstDay}, ${c.activeDays}, ${c.lastDay}, count(*) AS n FROM ${c}
          WHERE ${c.firstDay} IS NOT NULL AND ${c.firstDay} <= ${p('today')} GROUP BY ${c.firstDay}, ${c.activeDays}, ${c.lastDay}`,
    );
    this.histories.statement.raw();
    this.prevOf = prepare(db, sql`SELECT ${f.serviceId} AS serviceId, ${f.cohort} AS cohort, ${f.params} AS params FROM ${f} WHERE ${f.model} = ${p('model')}`);
    this.clearModel = prepare(db, sql`DELETE FROM ${f} WHERE ${f.model} = ${p('model')}`);
    this.save = prepare(
      db,
      sql`INSERT OR REPLACE INTO ${f} (${name(f.model)}, ${name(f.serviceId)}, ${name(f.cohort)}, ${name(f.params)}, ${name(f.size)}, ${name(f.logLikelihood)}, ${name(f.observed)}, ${name(f.quality)}, ${name(f.fittedAt)})
          VALUES (${p('model')}, ${p('serviceId')}, ${p('cohort')}, ${p('params')}, ${p('size')}, ${p('logLikelihood')}, ${p('observed')}, ${p('quality')}, ${p('fittedAt')})`,
    );
    const s = subscriptions;
    this.subs = prepare(
      db,
      sql`SELECT ${s.serviceId}, ${s.subscribedAt} / ${sql.raw(String(DAY))} AS d, ${s.state}, ${s.renewals}, count(*) AS n FROM ${s}
          WHERE ${s.subscribedAt} IS NOT NULL AND ${s.state} IN ('active', 'grace', 'suspended', 'cancelled', 'expired') GROUP BY 1, 2, 3, 4`,
    );
    this.subs.statement.raw();
    const l = crmLapseDays;
    this.addLapse = prepare(
      db,
      sql`INSERT OR IGNORE INTO ${l} (${name(l.firstDay)}, ${name(l.activeDays)}, ${name(l.lastDay)}, ${name(l.lapseDay)}) VALUES (${p('first')}, ${p('active')}, ${p('last')}, ${p('lapse')})`,
    );
    this.distinctHistories = prepare(db, sql`SELECT DISTINCT ${c.firstDay}, ${c.activeDays}, ${c.lastDay} FROM ${c} WHERE ${c.firstDay} IS NOT NULL`);
    this.distinctHistories.statement.raw();
    this.putLapse = prepare(
      db,
      sql`INSERT INTO ${l} (${name(l.firstDay)}, ${name(l.activeDays)}, ${name(l.lastDay)}, ${name(l.lapseDay)}) VALUES (${p('first')}, ${p('active')}, ${p('last')}, ${p('lapse')})`,
    );
    this.clearLapse = prepare(db, sql`DELETE FROM ${l}`);
  }

  /** Every stored fit, the cohort `first` (the pooled fit) first so cohorts on it can share its cache. */
  fits(first: string): StoredFit[] {
    return this.all.all({ first }).map((r) => ({
      model: r.model,
      serviceId: r.serviceId,
      cohort: r.cohort,
      params: JSON.parse(r.params) as Record<string, number>,
      quality: JSON.parse(r.quality) as Record<string, unknown>,
    }));
  }

  /** When the newest fit was made (null before any). */
  lastFittedAt(): number | null {
    return this.lastFit.get()!.t;
  }

  /** Activity histories that started by `today`, grouped by (first day, active days, last day). */
  historyGroups(today: number): HistoryGroup[] {
    return this.histories.all({ today });
  }

  /** The current params of one model's fits, by service and cohort. */
  previousFits(model: string): { serviceId: string; cohort: string; params: Record<string, number> }[] {
    return this.prevOf.all({ model }).map((r) => ({ serviceId: r.serviceId, cohort: r.cohort, params: JSON.parse(r.params) as Record<string, number> }));
  }

  /** Drops one model's fits (before it is refitted). */
  clearFits(model: string): void {
    this.clearModel.run({ model });
  }

  /** Stores (or replaces) a fit. */
  saveFit(f: FitToSave): void {
    this.save.run({
      model: f.model,
      serviceId: f.serviceId,
      cohort: f.cohort,
      params: JSON.stringify(f.params),
      size: f.size,
      logLikelihood: f.logLikelihood,
      observed: JSON.stringify(f.observed),
      quality: JSON.stringify(f.quality),
      fittedAt: f.fittedAt,
    });
  }

  /** Subscriptions that started, grouped by service, start day, state and renewals (the sBG data). */
  subscriptionGroups(): SubscriptionGroup[] {
    return this.subs.all();
  }

  /** Stores a history's lapse day unless it is known; returns 1 when it was new. */
  addLapseDay(first: number, active: number, last: number, lapse: number | null): number {
    return this.addLapse.run({ first, active, last, lapse });
  }

  /** Every distinct activity history. */
  allHistories(): History[] {
    return this.distinctHistories.all();
  }

  /** Replaces the lapse days with `rows`, in one transaction. */
  replaceLapseDays(rows: Iterable<[number, number, number, number | null]>): void {
    tx(this.db, () => {
      this.clearLapse.run();
      for (const [first, active, last, lapse] of rows) this.putLapse.run({ first, active, last, lapse });
    });
  }
}
