import { sql } from 'drizzle-orm';
import type { Database, Statement, Tx } from '../db/database';
import { json } from '../db/portable';
import { crmMenuDaily } from '../db/schema';
import { name } from '../db/statement';
import { replacing } from './rollups-store';
import type { MenuAgg } from './menu-rollup';

const p = sql.placeholder;
type Key = { day: number; ch: string; flow: string; node: string };
type Row = Pick<typeof crmMenuDaily.$inferSelect, 'views' | 'pagedViews' | 'invalidViews' | 'menuArrivals' | 'detourArrivals' | 'shortcutArrivals'> & { picks: unknown };

/** crm_menu_daily, on either engine: a pass adds its menu-design counts to the day's rows. */
const menuStores = new WeakMap<Database, MenuStore>();

export class MenuStore {
  private readonly get: Statement<Row, Key>;
  private readonly put: Statement<never, Key & Omit<Row, 'picks'> & { picks: string }>;

  constructor(database: Database) {
    const m = crmMenuDaily;
    this.get = database.statement(
      sql`SELECT ${m.views} AS "views", ${m.picks} AS "picks", ${m.pagedViews} AS "pagedViews", ${m.invalidViews} AS "invalidViews", ${m.menuArrivals} AS "menuArrivals",
          ${m.detourArrivals} AS "detourArrivals", ${m.shortcutArrivals} AS "shortcutArrivals"
        FROM ${m} WHERE ${m.day} = ${p('day')} AND ${m.channel} = ${p('ch')} AND ${m.flowId} = ${p('flow')} AND ${m.nodeId} = ${p('node')}`,
    );
    this.put = database.statement(
      sql`INSERT INTO ${m} (${name(m.day)}, ${name(m.channel)}, ${name(m.flowId)}, ${name(m.nodeId)}, ${name(m.views)}, ${name(m.picks)}, ${name(m.pagedViews)},
          ${name(m.invalidViews)}, ${name(m.menuArrivals)}, ${name(m.detourArrivals)}, ${name(m.shortcutArrivals)})
        VALUES (${p('day')}, ${p('ch')}, ${p('flow')}, ${p('node')}, ${p('views')}, ${p('picks')}, ${p('pagedViews')}, ${p('invalidViews')}, ${p('menuArrivals')}, ${p('detourArrivals')}, ${p('shortcutArrivals')})
        ${replacing([m.day, m.channel, m.flowId, m.nodeId], [m.views, m.picks, m.pagedViews, m.invalidViews, m.menuArrivals, m.detourArrivals, m.shortcutArrivals])}`,
    );
  }

  /** The store of `database` (one per database, so its statements are prepared once, not once per pass). */
  static of(database: Database): MenuStore {
    let st = menuStores.get(database);
    if (!st) menuStores.set(database, (st = new MenuStore(database)));
    return st;
  }

  /** Adds one node-day's counts to its row. */
  async add(a: MenuAgg, tx: Tx): Promise<void> {
    const key: Key = { day: a.day, ch: a.ch, flow: a.flow, node: a.node };
    const o = await this.get.get(key, tx);
    const picks = o ? json<Record<string, number>>(o.picks) : {};
    for (const [k, v] of Object.entries(a.picks)) picks[k] = (picks[k] ?? 0) + v;
    await this.put.run({
      ...key,
      views: (o?.views ?? 0) + a.views,
      // Keys in order, so a row reads the same however many passes built it.
      picks: JSON.stringify(Object.fromEntries(Object.entries(picks).sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)))),
      pagedViews: (o?.pagedViews ?? 0) + a.pagedViews,
      invalidViews: (o?.invalidViews ?? 0) + a.invalidViews,
      menuArrivals: (o?.menuArrivals ?? 0) + a.menuArrivals,
      detourArrivals: (o?.detourArrivals ?? 0) + a.detourArrivals,
      shortcutArrivals: (o?.shortcutArrivals ?? 0) + a.shortcutArrivals,
    }, tx);
  }
}
