import { sql } from 'drizzle-orm';
import type { Database } from '../../db/database';
import { json } from '../../db/portable';
import { crmMenuDaily } from '../../db/schema';
import type { ReportRange } from '../range';
import { fields, rollupParams, rollupWhere, ShapedStatements, type RollupParams } from './rollup-store';

/** One node's menu-design counts on one day and channel (a row of crm_menu_daily), picks decoded. */
export type MenuDay = Pick<typeof crmMenuDaily.$inferSelect, 'flowId' | 'nodeId' | 'views' | 'picks' | 'pagedViews' | 'invalidViews' | 'menuArrivals' | 'detourArrivals' | 'shortcutArrivals'>;

/** The menu-recommendations read model: crm_menu_daily over a range (a few rows per node and day). */
export class MenuReportStore {
  private readonly rows: ShapedStatements<Omit<MenuDay, 'picks'> & { picks: unknown }, RollupParams>;

  constructor(db: Database) {
    const m = crmMenuDaily;
    this.rows = new ShapedStatements(
      db,
      (shape) =>
        sql`SELECT ${fields({ flowId: m.flowId, nodeId: m.nodeId, views: m.views, picks: m.picks, pagedViews: m.pagedViews, invalidViews: m.invalidViews, menuArrivals: m.menuArrivals, detourArrivals: m.detourArrivals, shortcutArrivals: m.shortcutArrivals })}
            FROM ${m} WHERE ${rollupWhere(m, shape)}`,
    );
  }

  /** Every node-day in the range. */
  async nodeDays(r: ReportRange): Promise<MenuDay[]> {
    return (await this.rows.for(r).all(rollupParams(r))).map((row) => ({ ...row, picks: json<Record<string, number>>(row.picks) }));
  }
}
