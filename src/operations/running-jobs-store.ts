import { and, eq, inArray, isNotNull } from 'drizzle-orm';
import type { Db } from '../db/client';
import { campaignRuns, campaigns, crmState } from '../db/schema';

/** Campaign runs shown at most. */
const RUNS_SHOWN = 50;

/**
 * What `vasgw status` shows of the jobs that run in the background: campaign runs holding or waiting
 * for the fan-out, and the CRM pass lease. Read-only; statements prepared once per store.
 */
export class RunningJobsStore {
  private readonly runs;
  private readonly lease;

  constructor(db: Db) {
    const r = campaignRuns;
    this.runs = db
      .select({
        runId: r.id,
        campaignId: r.campaignId,
        name: campaigns.name,
        status: r.status,
        total: r.total,
        queued: r.queued,
        leaseOwner: r.leaseOwner,
        leaseExpiresAt: r.leaseExpiresAt,
        startedAt: r.startedAt,
      })
      .from(r)
      .leftJoin(campaigns, eq(campaigns.id, r.campaignId))
      .where(inArray(r.status, ['sending', 'paused']))
      .orderBy(r.id)
      .limit(RUNS_SHOWN)
      .prepare();
    this.lease = db
      .select({ owner: crmState.owner, expiresAt: crmState.expiresAt })
      .from(crmState)
      .where(and(eq(crmState.key, 'pass_lease'), isNotNull(crmState.owner)))
      .prepare();
  }

  /** Campaign runs sending or paused, oldest first (epoch ms times). */
  campaignRuns() {
    return this.runs.all();
  }

  /** The CRM pass lease while someone holds it (it may have expired: the caller compares with its clock). */
  crmPassLease(): { owner: string; expiresAt: number | null } | null {
    const l = this.lease.get();
    return l?.owner ? { owner: l.owner, expiresAt: l.expiresAt } : null;
  }
}
