import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { calls, crmFindings, crmInterventions, messages, subscribers } from '../../db/schema';
import type { ReportRange } from '../range';
import { callState } from './delivery-store';
import { ByShape, fields, type RollupShape, type Stored } from './rollup-store';

/** A menu people got stuck in, and how many stuck findings name it. */
export interface StuckMenu {
  flowId: string | null;
  nodeId: string | null;
  n: number;
}

/** A stuck finding with its subscriber and what was done about it (the delivery state from the message or call). */
export type StuckFinding = Pick<typeof subscribers.$inferSelect, 'msisdn' | 'language' | 'region' | 'crop'> &
  Pick<typeof crmFindings.$inferSelect, 'reason' | 'status' | 'detail' | 'detectedAt'> & {
    intervention: string | null;
    arm: string | null;
    decision: string | null;
    delivery: string | null;
  };

type StuckParams = { from: number; to: number; channel: string | null; flow: string | null };

/** The stuck report's read model: the stuck findings detected in a range, by channel and flow of the menu. */
export class StuckStore {
  private readonly topStmt: ByShape<StuckMenu, StuckParams>;
  private readonly countStmt: ByShape<{ n: number }, StuckParams>;
  private readonly listStmt: ByShape<Stored<StuckFinding, 'detail'>, StuckParams & { limit: number }>;

  constructor(db: Db) {
    const f = crmFindings;
    const where = (shape: RollupShape): SQL => {
      const parts = [sql`${f.kind} = 'stuck'`, sql`${f.detectedAt} BETWEEN ${sql.placeholder('from')} AND ${sql.placeholder('to')}`];
      if (shape.channel) parts.push(sql`json_extract(${f.detail}, '$.channel') = ${sql.placeholder('channel')}`);
      if (shape.flow) parts.push(sql`json_extract(${f.detail}, '$.flowId') = ${sql.placeholder('flow')}`);
      return sql.join(parts, sql` AND `);
    };
    this.topStmt = new ByShape(
      db,
      (shape) =>
        sql`SELECT json_extract(${f.detail}, '$.flowId') AS flowId, json_extract(${f.detail}, '$.nodeId') AS nodeId, count(*) AS n
            FROM ${f} WHERE ${where(shape)} GROUP BY 1, 2 ORDER BY n DESC LIMIT 20`,
    );
    this.countStmt = new ByShape(db, (shape) => sql`SELECT count(*) AS n FROM ${f} WHERE ${where(shape)}`);
    const s = subscribers;
    const i = crmInterventions;
    this.listStmt = new ByShape(
      db,
      (shape) =>
        sql`SELECT ${fields({
          msisdn: s.msisdn,
          language: s.language,
          region: s.region,
          crop: s.crop,
          reason: f.reason,
          status: f.status,
          detail: f.detail,
          detectedAt: f.detectedAt,
          intervention: i.kind,
          arm: i.arm,
          decision: i.status,
          delivery: sql`CASE WHEN ${i.arm} = 'holdout' THEN NULL WHEN ${i.channel} = 'sms' THEN coalesce(${messages.status}, ${i.status}) WHEN ${calls.id} IS NOT NULL THEN ${callState()} ELSE ${i.status} END`,
        })}
        FROM ${f} JOIN ${s} ON ${s.id} = ${f.subscriberId} LEFT JOIN ${i} ON ${i.id} = ${f.interventionId}
        LEFT JOIN ${messages} ON ${i.channel} = 'sms' AND ${messages.id} = ${i.messageId} LEFT JOIN ${calls} ON ${i.channel} = 'call' AND ${calls.id} = ${i.callId}
        WHERE ${where(shape)} ORDER BY ${f.detectedAt} DESC, ${f.id} DESC LIMIT ${sql.placeholder('limit')}`,
    );
  }

  /** The 20 menus named by the most stuck findings in the range. */
  mostSought(r: ReportRange): StuckMenu[] {
    return this.topStmt.for(r).all(params(r));
  }

  /** How many stuck findings the range holds. */
  count(r: ReportRange): number {
    return this.countStmt.for(r).get(params(r))!.n;
  }

  /** The newest `limit` stuck findings in the range. */
  newest(r: ReportRange, limit: number): StuckFinding[] {
    return this.listStmt
      .for(r)
      .all({ ...params(r), limit })
      .map((row) => ({ ...row, detail: JSON.parse(row.detail) as Record<string, unknown> }));
  }
}

const params = (r: ReportRange): StuckParams => ({ from: r.from, to: r.to, channel: r.channel, flow: r.flow });
