import { sql } from 'drizzle-orm';
import type { Database } from '../../db/database';
import { json } from '../../db/portable';
import { crmNodeDaily, crmSessionDaily } from '../../db/schema';
import type { ReportRange } from '../range';
import { fields, rollupParams, rollupWhere, ShapedStatements, type RollupParams } from './rollup-store';

/** One node's counts on one day (a row of crm_node_daily), its JSON decoded. */
export type NodeDay = Pick<typeof crmNodeDaily.$inferSelect, 'flowId' | 'nodeId' | 'views' | 'sessions' | 'invalid' | 'backs' | 'exits' | 'dropoffs' | 'dwell'>;

/** Sessions and sessions reaching content of one flow over a range. */
export interface FlowSessions {
  flowId: string;
  sessions: number;
  content: number;
}

/** The flow funnel's read model: the daily node rollups and the per-flow session totals. */
export class FunnelStore {
  private readonly nodes: ShapedStatements<Omit<NodeDay, 'exits' | 'dwell'> & { exits: unknown; dwell: unknown }, RollupParams>;
  private readonly flows: ShapedStatements<FlowSessions, RollupParams>;

  constructor(db: Database) {
    const n = crmNodeDaily;
    this.nodes = new ShapedStatements(
      db,
      (shape) =>
        sql`SELECT ${fields({ flowId: n.flowId, nodeId: n.nodeId, views: n.views, sessions: n.sessions, invalid: n.invalid, backs: n.backs, exits: n.exits, dropoffs: n.dropoffs, dwell: n.dwell })}
            FROM ${n} WHERE ${rollupWhere(n, shape)}`,
    );
    const s = crmSessionDaily;
    this.flows = new ShapedStatements(
      db,
      (shape) => sql`SELECT ${s.flowId} AS "flowId", sum(${s.sessions}) AS "sessions", sum(${s.contentSessions}) AS "content" FROM ${s} WHERE ${rollupWhere(s, shape)} GROUP BY ${s.flowId}`,
    );
  }

  /** Every node-day in the range (a few per node and day: small enough to read at once). */
  async nodeDays(r: ReportRange): Promise<NodeDay[]> {
    const out: NodeDay[] = [];
    for (const n of await this.nodes.for(r).all(rollupParams(r))) {
      out.push({
        flowId: n.flowId,
        nodeId: n.nodeId,
        views: n.views,
        sessions: n.sessions,
        invalid: n.invalid,
        backs: n.backs,
        exits: json<Record<string, number>>(n.exits),
        dropoffs: n.dropoffs,
        dwell: json<number[]>(n.dwell),
      });
    }
    return out;
  }

  /** Sessions and content sessions per flow in the range. */
  async flowSessions(r: ReportRange): Promise<FlowSessions[]> {
    return this.flows.for(r).all(rollupParams(r));
  }
}
