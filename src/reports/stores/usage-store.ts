import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { crmContentProfileDaily, crmUsageDaily, crmUsageProfileDaily } from '../../db/schema';
import type { ReportRange } from '../range';
import { ByShape, fields, rollupParams, rollupWhere, type RollupParams } from './rollup-store';

/** Usage of one value of a rollup dimension on one day, channel and flow (a row of crm_usage_daily). */
export type DimUsageDay = Pick<typeof crmUsageDaily.$inferSelect, 'value' | 'sessions' | 'contentSessions' | 'stuckSessions' | 'subscribers'>;

/** A row of crm_usage_profile_daily as a tuple (these scans are the reports' largest): field, value, visits, sessions, content sessions, sketch. */
export type ProfileUsageDay = [field: string, value: string, visits: number, sessions: number, contentSessions: number, subscribers: Buffer];

/** Visits reaching one content node per profile field value over the range: field, value, flow, node, visits. */
export type ContentReach = [field: string, value: string, flowId: string, nodeId: string, visits: number];

type ProfileParams = RollupParams & { field: string; all: string };

/** The usage and content-by-demography reports' read model: the usage rollups per dimension and per profile value. */
export class UsageStore {
  private readonly dims: ByShape<DimUsageDay, RollupParams & { dim: string }>;
  private readonly profile: ByShape<ProfileUsageDay, ProfileParams>;
  private readonly content: ByShape<ContentReach, ProfileParams>;

  constructor(db: Db) {
    const u = crmUsageDaily;
    this.dims = new ByShape(
      db,
      (shape) =>
        sql`SELECT ${fields({ value: u.value, sessions: u.sessions, contentSessions: u.contentSessions, stuckSessions: u.stuckSessions, subscribers: u.subscribers })}
            FROM ${u} WHERE ${u.dim} = ${sql.placeholder('dim')} AND ${rollupWhere(u, shape)}`,
    );
    const p = crmUsageProfileDaily;
    this.profile = new ByShape(
      db,
      (shape) =>
        sql`SELECT ${p.field}, ${p.value}, ${p.visits}, ${p.sessions}, ${p.contentSessions}, ${p.subscribers} FROM ${p}
            WHERE ${p.field} IN (${sql.placeholder('field')}, ${sql.placeholder('all')}) AND ${rollupWhere(p, shape)}`,
      true,
    );
    const c = crmContentProfileDaily;
    this.content = new ByShape(
      db,
      (shape) =>
        sql`SELECT ${c.field}, ${c.value}, ${c.flowId}, ${c.nodeId}, sum(${c.visits}) FROM ${c}
            WHERE ${c.field} IN (${sql.placeholder('field')}, ${sql.placeholder('all')}) AND ${rollupWhere(c, shape)} GROUP BY 1, 2, 3, 4`,
      true,
    );
  }

  /** Usage rows of dimension `dim` (region, crop, language, operator) in the range. */
  byDimension(r: ReportRange, dim: string): DimUsageDay[] {
    return this.dims.for(r).all({ ...rollupParams(r), dim });
  }

  /** Usage rows of profile field `field` and of the every-visit field `all` in the range. */
  byProfile(r: ReportRange, field: string, all: string): ProfileUsageDay[] {
    return this.profile.for(r).all({ ...rollupParams(r), field, all });
  }

  /** Visits reaching each content node per value of `field` and of the every-visit field `all`, in the range. */
  contentReach(r: ReportRange, field: string, all: string): ContentReach[] {
    return this.content.for(r).all({ ...rollupParams(r), field, all });
  }
}
