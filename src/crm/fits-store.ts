import { sql } from 'drizzle-orm';
import { BatchWriter } from '../db/batch-writer';
import type { Database, Statement, Tx } from '../db/database';
import { json } from '../db/portable';
import { crmFits, crmLapseDays, crmSubscribers, subscriptions } from '../db/schema';
import { name } from '../db/statement';
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
/** An activity history with its lapse day: [first day, active days, last day, lapse day]. */
export type LapseDayRow = [number, number, number, number | null];

type RawFit = { model: string; serviceId: string; cohort: string; params: unknown; quality: unknown };

const f = crmFits;
const l = crmLapseDays;
const LAPSE_HEAD = sql`INSERT INTO ${l} (${name(l.firstDay)}, ${name(l.activeDays)}, ${name(l.lastDay)}, ${name(l.lapseDay)}) VALUES`;
// A history already known keeps its lapse day (the write phase adds only new histories).
const LAPSE_KEEP = sql`ON CONFLICT DO NOTHING`;

/**
 * The models' fits (crm_fits), the data they are fitted on, and the lapse day of each activity history,
 * on either engine: reads through statements, writes inside the caller's unit of work.
 */
export class FitsStore {
  private readonly all: Statement<RawFit, { first: string }>;
  private readonly lastFit: Statement<{ t: number | null }>;
  private readonly histories: Statement<HistoryGroup, { today: number }>;
  private readonly prevOf: Statement<{ serviceId: string; cohort: string; params: unknown }, { model: string }>;
  private readonly clearModel: Statement<never, { model: string }>;
  private readonly save: Statement<never, Record<string, unknown>>;
  private readonly subs: Statement<SubscriptionGroup>;
  private readonly distinctHistories: Statement<History>;
  private readonly clearLapse: Statement<never>;

  constructor(database: Database) {
    this.all = database.statement(
      sql`SELECT ${f.model} AS "model", ${f.serviceId} AS "serviceId", ${f.cohort} AS "cohort", ${f.params} AS "params", ${f.quality} AS "quality"
          FROM ${f} ORDER BY ${f.cohort} = ${p('first')} DESC`,
    );
    this.lastFit = database.statement(sql`SELECT max(${f.fittedAt}) AS "t" FROM ${f}`);
    const c = crmSubscribers;
    this.histories = database.statement(
      sql`SELECT ${c.firstDay}, ${c.activeDays}, ${c.lastDay}, count(*) AS "n" FROM ${c}
          WHERE ${c.firstDay} IS NOT NULL AND ${c.firstDay} <= ${p('today')} GROUP BY ${c.firstDay}, ${c.activeDays}, ${c.lastDay}`,
      { raw: true },
    );
    this.prevOf = database.statement(sql`SELECT ${f.serviceId} AS "serviceId", ${f.cohort} AS "cohort", ${f.params} AS "params" FROM ${f} WHERE ${f.model} = ${p('model')}`);
    this.clearModel = database.statement(sql`DELETE FROM ${f} WHERE ${f.model} = ${p('model')}`);
    const replaced = [f.params, f.size, f.logLikelihood, f.observed, f.quality, f.fittedAt].map((col) => sql`${name(col)} = excluded.${name(col)}`);
    this.save = database.statement(
      sql`INSERT INTO ${f} (${name(f.model)}, ${name(f.serviceId)}, ${name(f.cohort)}, ${name(f.params)}, ${name(f.size)}, ${name(f.logLikelihood)}, ${name(f.observed)}, ${name(f.quality)}, ${name(f.fittedAt)})
          VALUES (${p('model')}, ${p('serviceId')}, ${p('cohort')}, ${p('params')}, ${p('size')}, ${p('logLikelihood')}, ${p('observed')}, ${p('quality')}, ${p('fittedAt')})
          ON CONFLICT (${name(f.model)}, ${name(f.serviceId)}, ${name(f.cohort)}) DO UPDATE SET ${sql.join(replaced, sql`, `)}`,
    );
    const s = subscriptions;
    this.subs = database.statement(
      sql`SELECT ${s.serviceId}, ${s.subscribedAt} / ${sql.raw(String(DAY))} AS "d", ${s.state}, ${s.renewals}, count(*) AS "n" FROM ${s}
          WHERE ${s.subscribedAt} IS NOT NULL AND ${s.state} IN ('active', 'grace', 'suspended', 'cancelled', 'expired') GROUP BY 1, 2, 3, 4`,
      { raw: true },
    );
    this.distinctHistories = database.statement(sql`SELECT DISTINCT ${c.firstDay}, ${c.activeDays}, ${c.lastDay} FROM ${c} WHERE ${c.firstDay} IS NOT NULL`, { raw: true });
    this.clearLapse = database.statement(sql`DELETE FROM ${l}`);
  }

  /** Every stored fit, the cohort `first` (the pooled fit) first so cohorts on it can share its cache. */
  async fits(first: string, tx?: Tx): Promise<StoredFit[]> {
    const rows = await this.all.all({ first }, tx);
    return rows.map((r) => ({ model: r.model, serviceId: r.serviceId, cohort: r.cohort, params: json<Record<string, number>>(r.params), quality: json<Record<string, unknown>>(r.quality) }));
  }

  /** When the newest fit was made (null before any). */
  async lastFittedAt(): Promise<number | null> {
    const t = (await this.lastFit.get())?.t;
    return t === null || t === undefined ? null : Number(t);
  }

  /** Activity histories that started by `today`, grouped by (first day, active days, last day). */
  async historyGroups(today: number, tx?: Tx): Promise<HistoryGroup[]> {
    const rows = await this.histories.all({ today }, tx);
    return rows.map(([first, active, last, n]) => [first, active, last, Number(n)]);
  }

  /** The current params of one model's fits, by service and cohort. */
  async previousFits(model: string, tx?: Tx): Promise<{ serviceId: string; cohort: string; params: Record<string, number> }[]> {
    const rows = await this.prevOf.all({ model }, tx);
    return rows.map((r) => ({ serviceId: r.serviceId, cohort: r.cohort, params: json<Record<string, number>>(r.params) }));
  }

  /** Drops one model's fits (before it is refitted), in unit `tx`. */
  async clearFits(model: string, tx: Tx): Promise<void> {
    await this.clearModel.run({ model }, tx);
  }

  /** Stores (or replaces) a fit, in unit `tx`. */
  async saveFit(fit: FitToSave, tx: Tx): Promise<void> {
    await this.save.run(
      {
        model: fit.model,
        serviceId: fit.serviceId,
        cohort: fit.cohort,
        params: JSON.stringify(fit.params),
        size: fit.size,
        logLikelihood: fit.logLikelihood,
        observed: JSON.stringify(fit.observed),
        quality: JSON.stringify(fit.quality),
        fittedAt: fit.fittedAt,
      },
      tx,
    );
  }

  /** Subscriptions that started, grouped by service, start day, state and renewals (the sBG data). */
  async subscriptionGroups(tx?: Tx): Promise<SubscriptionGroup[]> {
    const rows = await this.subs.all(undefined, tx);
    return rows.map(([service, d, state, renewals, n]) => [service, Number(d), state, renewals, Number(n)]);
  }

  /** Stores the lapse days of histories not known yet, in unit `tx` (100 rows a statement); returns how many were new. */
  async addLapseDaysIn(tx: Tx, rows: Iterable<LapseDayRow>): Promise<number> {
    // A writer of the unit's own (PostgreSQL: unnamed statements, nothing kept per pooled connection).
    const w = new BatchWriter(tx, LAPSE_HEAD, 4, LAPSE_KEEP);
    for (const r of rows) await w.add(r, tx);
    await w.flush(tx);
    return w.written;
  }

  /** Every distinct activity history. */
  allHistories(tx?: Tx): Promise<History[]> {
    return this.distinctHistories.all(undefined, tx);
  }

  /** Replaces the lapse days with `rows`, in unit `tx`. */
  async replaceLapseDays(rows: Iterable<LapseDayRow>, tx: Tx): Promise<void> {
    await this.clearLapse.run(undefined, tx);
    const w = new BatchWriter(tx, LAPSE_HEAD, 4);
    for (const r of rows) await w.add(r, tx);
    await w.flush(tx);
  }
}
