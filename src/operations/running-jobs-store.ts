import { sql } from 'drizzle-orm';
import type { Database, Statement } from '../db/database';
import { campaignRuns, campaigns, crmState } from '../db/schema';
import { fields } from '../reports/stores/rollup-store';

/** Campaign runs shown at most. */
const RUNS_SHOWN = 50;

/** A campaign run holding or waiting for the fan-out (epoch ms times). */
export interface RunningCampaignRun {
  runId: number;
  campaignId: string;
  /** null when the campaign row is gone. */
  name: string | null;
  status: string;
  total: number;
  queued: number;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  startedAt: number | null;
}

/**
 * What `vasgw status` shows of the jobs that run in the background: campaign runs holding or waiting
 * for the fan-out, and the CRM pass lease. Read-only; statements prepared once per store.
 */
export class RunningJobsStore {
  private readonly runs: Statement<RunningCampaignRun>;
  private readonly lease: Statement<{ owner: string | null; expiresAt: number | null }>;

  constructor(db: Database) {
    const r = campaignRuns;
    this.runs = db.statement(
      sql`SELECT ${fields({
        runId: r.id,
        campaignId: r.campaignId,
        name: campaigns.name,
        status: r.status,
        total: r.total,
        queued: r.queued,
        leaseOwner: r.leaseOwner,
        leaseExpiresAt: r.leaseExpiresAt,
        startedAt: r.startedAt,
      })}
      FROM ${r} LEFT JOIN ${campaigns} ON ${campaigns.id} = ${r.campaignId}
      WHERE ${r.status} IN ('sending', 'paused') ORDER BY ${r.id} LIMIT ${RUNS_SHOWN}`,
    );
    this.lease = db.statement(
      sql`SELECT ${fields({ owner: crmState.owner, expiresAt: crmState.expiresAt })} FROM ${crmState} WHERE ${crmState.key} = 'pass_lease' AND ${crmState.owner} IS NOT NULL`,
    );
  }

  /** Campaign runs sending or paused, oldest first (epoch ms times). */
  async campaignRuns(): Promise<RunningCampaignRun[]> {
    return this.runs.all();
  }

  /** The CRM pass lease while someone holds it (it may have expired: the caller compares with its clock). */
  async crmPassLease(): Promise<{ owner: string; expiresAt: number | null } | null> {
    const l = await this.lease.get();
    return l?.owner ? { owner: l.owner, expiresAt: l.expiresAt } : null;
  }
}
