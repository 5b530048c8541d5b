import { sql, type SQL } from 'drizzle-orm';
import type { Database, Statement } from '../../db/database';
import { crmRiskRankings, subscribers } from '../../db/schema';
import { fields } from './rollup-store';

type Ranking = typeof crmRiskRankings.$inferSelect;

/** One ranked subscription with who it belongs to and the evidence of both risks. */
export type RankedSubscription = Pick<typeof subscribers.$inferSelect, 'msisdn' | 'region' | 'crop'> &
  Pick<
    Ranking,
    | 'serviceId'
    | 'state'
    | 'pAlive'
    | 'lastActiveDay'
    | 'activeDays'
    | 'renewProbability'
    | 'renewals'
    | 'consecutiveFailures'
    | 'recentFailedCharges'
    | 'residualPeriods'
    | 'residualValue'
    | 'risk'
    | 'valueAtRisk'
    | 'computedAt'
  >;

type RankingParams = { kind: string; service: string | null; state: string | null; limit: number };

/** The risk rankings the last scoring left (crm_risk_rankings), as the risk report reads them. */
export class RiskStore {
  private readonly byFilter = new Map<string, Statement<RankedSubscription, RankingParams>>();
  private readonly lastStmt: Statement<{ t: number | null }>;

  constructor(private readonly db: Database) {
    this.lastStmt = db.statement(sql`SELECT max(${crmRiskRankings.computedAt}) AS "t" FROM ${crmRiskRankings}`);
  }

  /** The top `limit` of ranking `kind` by value at risk, optionally of one service and one state. */
  async ranking(kind: string, service: string | null, state: string | null, limit: number): Promise<RankedSubscription[]> {
    return this.statement(service !== null, state !== null).all({ kind, service, state, limit });
  }

  /** When the rankings were computed (null before the first scoring). */
  async computedAt(): Promise<number | null> {
    return (await this.lastStmt.get())!.t;
  }

  private statement(byService: boolean, byState: boolean): Statement<RankedSubscription, RankingParams> {
    const key = `${byService ? 's' : ''}${byState ? 't' : ''}`;
    let p = this.byFilter.get(key);
    if (!p) {
      const r = crmRiskRankings;
      const s = subscribers;
      const where: SQL[] = [sql`${r.kind} = ${sql.placeholder('kind')}`];
      if (byService) where.push(sql`${r.serviceId} = ${sql.placeholder('service')}`);
      if (byState) where.push(sql`${r.state} = ${sql.placeholder('state')}`);
      p = this.db.statement<RankedSubscription, RankingParams>(
        sql`SELECT ${fields({
          msisdn: s.msisdn,
          region: s.region,
          crop: s.crop,
          serviceId: r.serviceId,
          state: r.state,
          pAlive: r.pAlive,
          lastActiveDay: r.lastActiveDay,
          activeDays: r.activeDays,
          renewProbability: r.renewProbability,
          renewals: r.renewals,
          consecutiveFailures: r.consecutiveFailures,
          recentFailedCharges: r.recentFailedCharges,
          residualPeriods: r.residualPeriods,
          residualValue: r.residualValue,
          risk: r.risk,
          valueAtRisk: r.valueAtRisk,
          computedAt: r.computedAt,
        })}
        FROM ${r} JOIN ${s} ON ${s.id} = ${r.subscriberId} WHERE ${sql.join(where, sql` AND `)}
        ORDER BY ${r.valueAtRisk} DESC, ${r.risk} DESC, ${r.subscriberId} LIMIT ${sql.placeholder('limit')}`,
      );
      this.byFilter.set(key, p);
    }
    return p;
  }
}
