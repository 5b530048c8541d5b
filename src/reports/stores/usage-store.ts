import { sql } from 'drizzle-orm';
import type { Database } from '../../db/database';
import { crmContentProfileDaily, crmUsageDaily, crmUsageProfileDaily } from '../../db/schema';
import type { ReportRange } from '../range';
import { fields, rollupParams, rollupWhere, ShapedStatements, type RollupParams } from './rollup-store';

/** Usage of one value of a rollup dimension on one day, channel and flow (a row of crm_usage_daily). */
export type DimUsageDay = Pick<typeof crmUsageDaily.$inferSelect, 'value' | 'sessions' | 'contentSessions' | 'stuckSessions' | 'subscribers'>;

/** A row of crm_usage_profile_daily as a tuple (these scans are the reports' largest): field, value, visits, sessions, content sessions, sketch. */
export type ProfileUsageDay = [field: string, value: string, visits: number, sessions: number, contentSessions: number, subscribers: Buffer];

/** Visits reaching one content node per profile field value over the range: field, value, flow, node, visits. */
export type ContentReach = [field: string, value: string, flowId: string, nodeId: string, visits: number];

type ProfileParams = RollupParams & { field: string; all: string };

/** The usage and content-by-demography reports' read model: the usage rollups per dimension and per profile value. */
export class UsageStore {
  private readonly dims: ShapedStatements<DimUsageDay, RollupParams & { dim: string }>;
  private readonly profile: ShapedStatements<ProfileUsageDay, ProfileParams>;
  private readonly content: ShapedStatements<ContentReach, ProfileParams>;

  constructor(db: Database) {
    const u = crmUsageDaily;
    this.dims = new ShapedStatements(
      db,
      (shape) =>
        sql`SELECT ${fields({ value: u.value, sessions: u.sessions, contentSessions: u.contentSessions, stuckSessions: u.stuckSessions, subscribers: u.subscribers })}
            FROM ${u} WHERE ${u.dim} = ${sql.placeholder('dim')} AND ${rollupWhere(u, shape)}`,
    );
    const p = crmUsageProfileDaily;
    this.profile = new ShapedStatements(
      db,
      (shape) =>
        sql`SELECT ${p.field}, ${p.value}, ${p.visits}, ${p.sessions}, ${p.contentSessions}, ${p.subscribers} FROM ${p}
            WHERE ${p.field} IN (${sql.placeholder('field')}, ${sql.placeholder('all')}) AND ${rollupWhere(p, shape)}`,
      true,
    );
    const c = crmContentProfileDaily;
    // Ordered: the report lists content in the order it first meets it, which breaks ties among the
    // groups it flags as failing. SQLite returned its GROUP BY in key order already (the ORDER BY costs
    // it no sort); PostgreSQL's hash aggregate would not.
    this.content = new ShapedStatements(
      db,
      (shape) =>
        sql`SELECT ${c.field}, ${c.value}, ${c.flowId}, ${c.nodeId}, sum(${c.visits}) FROM ${c}
            WHERE ${c.field} IN (${sql.placeholder('field')}, ${sql.placeholder('all')}) AND ${rollupWhere(c, shape)} GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
      true,
    );
  }

  /** Usage rows of dimension `dim` (region, crop, language, operator) in the range. */
  async byDimension(r: ReportRange, dim: string): Promise<DimUsageDay[]> {
    return this.dims.for(r).all({ ...rollupParams(r), dim });
  }

  /** Usage rows of profile field `field` and of the every-visit field `all` in the range. */
  async byProfile(r: ReportRange, field: string, all: string): Promise<ProfileUsageDay[]> {
    return this.profile.for(r).all({ ...rollupParams(r), field, all });
  }

  /** Visits reaching each content node per value of `field` and of the every-visit field `all`, in the range. */
  async contentReach(r: ReportRange, field: string, all: string): Promise<ContentReach[]> {
    return this.content.for(r).all({ ...rollupParams(r), field, all });
  }
}
