import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { crmOnboarding, crmOnboardingContent } from '../../db/schema';
import type { ContentReaches } from '../../crm/onboarding/onboarding-store';
import { prepare, type Prepared } from '../../db/statement';

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
  private readonly sums: Prepared<OnboardingArmSums, Params>;
  private readonly reaches: Prepared<ContentReaches, { fromDay: number }>;

  constructor(db: Db) {
    const o = crmOnboarding;
    this.sums = prepare(
      db,
      sql`SELECT ${o.arm} AS arm, count(*) AS n, sum(${o.via} = 'session') AS viaSession,
            sum(${o.episodeAt} IS NOT NULL) AS episodes, sum(coalesce(${o.firstGo}, 0)) AS firstGo,
            sum(${o.retained} IS NOT NULL) AS closed, sum(coalesce(${o.retained}, 0)) AS retained
          FROM ${o}
          WHERE ${o.joinDay} BETWEEN ${sql.placeholder('fromDay')} AND ${sql.placeholder('toDay')}
          GROUP BY ${o.arm}`,
    );
    const oc = crmOnboardingContent;
    this.reaches = prepare(
      db,
      sql`SELECT ${oc.region} AS region, ${oc.crop} AS crop, ${oc.flowId} AS flowId, ${oc.nodeId} AS nodeId, sum(${oc.firstGo}) AS n FROM ${oc} WHERE ${oc.day} >= ${sql.placeholder('fromDay')} GROUP BY 1, 2, 3, 4`,
    );
  }

  /** First-go reaches per region, crop and node since `fromDay` (what the welcome's shortcuts are ranked by). */
  contentReaches(fromDay: number): ContentReaches[] {
    return this.reaches.all({ fromDay });
  }

  /** Sums per arm (null: never assigned) of the subscribers who joined on fromDay..toDay. */
  armSums(fromDay: number, toDay: number): OnboardingArmSums[] {
    return this.sums.all({ fromDay, toDay });
  }
}
