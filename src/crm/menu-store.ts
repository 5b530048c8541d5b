import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { crmMenuDaily } from '../db/schema';
import { name, prepare, type Prepared } from '../db/statement';
import type { MenuAgg } from './menu-rollup';

const p = sql.placeholder;
type Key = { day: number; ch: string; flow: string; node: string };
type Row = Pick<typeof crmMenuDaily.$inferSelect, 'views' | 'pagedViews' | 'invalidViews' | 'menuArrivals' | 'detourArrivals' | 'shortcutArrivals'> & { picks: string };

/** crm_menu_daily: a pass adds its menu-design counts to the day's rows. */
export class MenuStore {
  private readonly get: Prepared<Row, Key>;
  private readonly put: Prepared<never, Key & Row>;

  constructor(db: Db) {
    const m = crmMenuDaily;
    this.get = prepare(
      db,
      sql`SELECT ${m.views} AS views, ${m.picks} AS picks, ${m.pagedViews} AS pagedViews, ${m.invalidViews} AS invalidViews, ${m.menuArrivals} AS menuArrivals,
          ${m.detourArrivals} AS detourArrivals, ${m.shortcutArrivals} AS shortcutArrivals
        FROM ${m} WHERE ${m.day} = ${p('day')} AND ${m.channel} = ${p('ch')} AND ${m.flowId} = ${p('flow')} AND ${m.nodeId} = ${p('node')}`,
    );
    this.put = prepare(
      db,
      sql`INSERT OR REPLACE INTO ${m} (${name(m.day)}, ${name(m.channel)}, ${name(m.flowId)}, ${name(m.nodeId)}, ${name(m.views)}, ${name(m.picks)}, ${name(m.pagedViews)},
          ${name(m.invalidViews)}, ${name(m.menuArrivals)}, ${name(m.detourArrivals)}, ${name(m.shortcutArrivals)})
        VALUES (${p('day')}, ${p('ch')}, ${p('flow')}, ${p('node')}, ${p('views')}, ${p('picks')}, ${p('pagedViews')}, ${p('invalidViews')}, ${p('menuArrivals')}, ${p('detourArrivals')}, ${p('shortcutArrivals')})`,
    );
  }

  /** Adds one node-day's counts to its row. */
  add(a: MenuAgg): void {
    const key: Key = { day: a.day, ch: a.ch, flow: a.flow, node: a.node };
    const o = this.get.get(key);
    const picks = o ? (JSON.parse(o.picks) as Record<string, number>) : {};
    for (const [k, v] of Object.entries(a.picks)) picks[k] = (picks[k] ?? 0) + v;
    this.put.run({
      ...key,
      views: (o?.views ?? 0) + a.views,
      // Keys in order, so a row reads the same however many passes built it.
      picks: JSON.stringify(Object.fromEntries(Object.entries(picks).sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)))),
      pagedViews: (o?.pagedViews ?? 0) + a.pagedViews,
      invalidViews: (o?.invalidViews ?? 0) + a.invalidViews,
      menuArrivals: (o?.menuArrivals ?? 0) + a.menuArrivals,
      detourArrivals: (o?.detourArrivals ?? 0) + a.detourArrivals,
      shortcutArrivals: (o?.shortcutArrivals ?? 0) + a.shortcutArrivals,
    });
  }
}
