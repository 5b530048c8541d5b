import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/database';
import { json, jsonText } from '../../db/portable';
import { calls, crmFindings, crmInterventions, messages, subscribers } from '../../db/schema';
import type { ReportRange } from '../range';
import { callState } from './delivery-store';
import { fields, ShapedStatements, type RollupShape } from './rollup-store';

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
  private readonly topStmt: ShapedStatements<StuckMenu, StuckParams>;
  private readonly countStmt: ShapedStatements<{ n: number }, StuckParams>;
  private readonly listStmt: ShapedStatements<Omit<StuckFinding, 'detail'> & { detail: unknown }, StuckParams & { limit: number }>;

  constructor(db: Database) {
    const f = crmFindings;
    const where = (shape: RollupShape): SQL => {
      const parts = [sql`${f.kind} = 'stuck'`, sql`${f.detectedAt} BETWEEN ${sql.placeholder('from')} AND ${sql.placeholder('to')}`];
      if (shape.channel) parts.push(sql`${jsonText(db.dialect, f.detail, 'channel')} = ${sql.placeholder('channel')}`);
      if (shape.flow) parts.push(sql`${jsonText(db.dialect, f.detail, 'flowId')} = ${sql.placeholder('flow')}`);
      return sql.join(parts, sql` AND `);
    };
    // Ties on the count go by menu (no menu first, as SQLite sorts NULL), so the same 20 make the list on both engines.
    this.topStmt = new ShapedStatements(
      db,
      (shape) =>
        sql`SELECT ${fields({ flowId: jsonText(db.dialect, f.detail, 'flowId'), nodeId: jsonText(db.dialect, f.detail, 'nodeId'), n: sql`count(*)` })}
            FROM ${f} WHERE ${where(shape)} GROUP BY 1, 2 ORDER BY 3 DESC, 1 NULLS FIRST, 2 NULLS FIRST LIMIT 20`,
    );
    this.countStmt = new ShapedStatements(db, (shape) => sql`SELECT count(*) AS "n" FROM ${f} WHERE ${where(shape)}`);
    const s = subscribers;
    const i = crmInterventions;
    this.listStmt = new ShapedStatements(
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
  async mostSought(r: ReportRange): Promise<StuckMenu[]> {
    return this.topStmt.for(r).all(params(r));
  }

  /** How many stuck findings the range holds. */
  async count(r: ReportRange): Promise<number> {
    return (await this.countStmt.for(r).get(params(r)))!.n;
  }

  /** The newest `limit` stuck findings in the range. */
  async newest(r: ReportRange, limit: number): Promise<StuckFinding[]> {
    return (await this.listStmt.for(r).all({ ...params(r), limit })).map((row) => ({ ...row, detail: json<Record<string, unknown>>(row.detail) }));
  }
}

const params = (r: ReportRange): StuckParams => ({ from: r.from, to: r.to, channel: r.channel, flow: r.flow });
