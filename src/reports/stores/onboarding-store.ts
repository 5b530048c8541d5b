import { sql } from 'drizzle-orm';
import type { Database, Statement } from '../../db/database';
import { crmOnboarding, crmOnboardingContent } from '../../db/schema';
import type { ContentReaches } from '../../crm/onboarding/onboarding-store';

/** Sums over the new subscribers of one arm (or of no arm: never assigned) who joined in the range. */
export interface OnboardingArmSums {
  arm: string | null;
  n: number;
  viaSession: number;
  /** With a first episode after the welcome decision, and of those found at the first go. */
  episodes: number;
  firstGo: number;
  /** Retention windows closed, and retained among them. */
  closed: number;
  retained: number;
}

type Params = { fromDay: number; toDay: number };

/** The onboarding report's read model: one aggregate over the new subscribers of the range, read from a covering index. */
export class OnboardingReportStore {
  private readonly sums: Statement<OnboardingArmSums, Params>;
  private readonly reaches: Statement<ContentReaches, { fromDay: number }>;

  constructor(db: Database) {
    const o = crmOnboarding;
    // Counts of conditions with FILTER and count(column), not sums of comparisons: PostgreSQL cannot sum a boolean.
    this.sums = db.statement(
      sql`SELECT ${o.arm} AS "arm", count(*) AS "n", count(*) FILTER (WHERE ${o.via} = 'session') AS "viaSession",
            count(${o.episodeAt}) AS "episodes", coalesce(sum(${o.firstGo}), 0) AS "firstGo",
            count(${o.retained}) AS "closed", coalesce(sum(${o.retained}), 0) AS "retained"
          FROM ${o}
          WHERE ${o.joinDay} BETWEEN ${sql.placeholder('fromDay')} AND ${sql.placeholder('toDay')}
          GROUP BY ${o.arm}`,
    );
    const oc = crmOnboardingContent;
    // Ordered: the ranking keeps equally reached groups in the order it reads them.
    this.reaches = db.statement(
      sql`SELECT ${oc.region} AS "region", ${oc.crop} AS "crop", ${oc.flowId} AS "flowId", ${oc.nodeId} AS "nodeId", sum(${oc.firstGo}) AS "n" FROM ${oc}
          WHERE ${oc.day} >= ${sql.placeholder('fromDay')} GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
    );
  }

  /** First-go reaches per region, crop and node since `fromDay` (what the welcome's shortcuts are ranked by). */
  async contentReaches(fromDay: number): Promise<ContentReaches[]> {
    return this.reaches.all({ fromDay });
  }

  /** Sums per arm (null: never assigned) of the subscribers who joined on fromDay..toDay. */
  async armSums(fromDay: number, toDay: number): Promise<OnboardingArmSums[]> {
    return this.sums.all({ fromDay, toDay });
  }
}
