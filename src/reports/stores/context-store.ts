import { sql } from 'drizzle-orm';
import type { Database, Statement } from '../../db/database';
import { crmContextDaily } from '../../db/schema';
import { fields } from './rollup-store';
import type { ContextCounts } from '../../crm/context-store';

/** One content node's serves against its context, summed over a range of days. */
export type ContextRow = { flowId: string; nodeId: string } & ContextCounts;

type Params = { fromDay: number; toDay: number; flow: string | null };

/** The context rollup (crm_context_daily) as the context report reads it: a few rows per day. */
export class ContextReportStore {
  private readonly all: Statement<ContextRow, Params>;
  private readonly ofFlow: Statement<ContextRow, Params>;

  constructor(db: Database) {
    const c = crmContextDaily;
    // Sums arrive as numbers on both engines (PostgreSQL's numeric sums are parsed by the pool).
    const cols = fields({
      flowId: c.flowId,
      nodeId: c.nodeId,
      served: sql`SUM(${c.served})`,
      outsideAny: sql`SUM(${c.outsideAny})`,
      outsideMonths: sql`SUM(${c.outsideMonths})`,
      outsideRegions: sql`SUM(${c.outsideRegions})`,
      outsideCrops: sql`SUM(${c.outsideCrops})`,
      regionUnknown: sql`SUM(${c.regionUnknown})`,
      cropsUnknown: sql`SUM(${c.cropsUnknown})`,
    });
    const range = sql`${c.day} BETWEEN ${sql.placeholder('fromDay')} AND ${sql.placeholder('toDay')}`;
    this.all = db.statement(sql`SELECT ${cols} FROM ${c} WHERE ${range} GROUP BY ${c.flowId}, ${c.nodeId}`);
    this.ofFlow = db.statement(sql`SELECT ${cols} FROM ${c} WHERE ${range} AND ${c.flowId} = ${sql.placeholder('flow')} GROUP BY ${c.flowId}, ${c.nodeId}`);
  }

  /** Per node: serves and serves outside its context in fromDay..toDay (of one flow when `flow` is set). */
  async between(fromDay: number, toDay: number, flow: string | null): Promise<ContextRow[]> {
    return (flow ? this.ofFlow : this.all).all({ fromDay, toDay, flow });
  }
}
