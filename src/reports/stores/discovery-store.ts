import { sql, type AnyColumn } from 'drizzle-orm';
import type { DiscoveryCounts } from '../../crm/discovery-rollup';
import type { Db } from '../../db/client';
import { prepare, type Prepared } from '../../db/statement';
import { crmDiscoveryDaily, crmDiscoveryProfileDaily, crmOpenEpisodes, crmSessionDaily } from '../../db/schema';
import type { ReportRange } from '../range';
import { ByShape, fields, rollupParams, rollupWhere, type RollupParams, type Stored } from './rollup-store';

/** A flow's sessions on one day and channel (a row of crm_session_daily), its JSON decoded. */
export type SessionDay = Omit<typeof crmSessionDaily.$inferSelect, 'flowId'>;

/** Finished episodes of one day by channel, flow, language, cohort and content sought. */
export type EpisodeDay = Pick<typeof crmDiscoveryDaily.$inferSelect, 'channel' | 'flowId' | 'language' | 'cohort' | 'soughtFlowId' | 'nodeId'> & DiscoveryCounts;

/** Finished episodes of one day per value of a profile field ('' = every episode whose subscriber has the field). */
export type EpisodeProfileDay = Pick<typeof crmDiscoveryProfileDaily.$inferSelect, 'value'> & DiscoveryCounts;

const counts = (t: Record<keyof DiscoveryCounts, AnyColumn>): Record<keyof DiscoveryCounts, AnyColumn> => ({
  episodes: t.episodes,
  firstGo: t.firstGo,
  retried: t.retried,
  notFound: t.notFound,
  anyFirstGo: t.anyFirstGo,
  sessions: t.sessions,
});

/** The discovery report's read model: session rollups, episode rollups (overall and per profile value), open episodes. */
export class DiscoveryStore {
  private readonly sessionDays: ByShape<Stored<SessionDay, 'ends' | 'friction'>, RollupParams>;
  private readonly episodeDays: ByShape<EpisodeDay, RollupParams>;
  private readonly profileDays: ByShape<EpisodeProfileDay, RollupParams & { field: string }>;
  private readonly open: Prepared<{ n: number }>;

  constructor(db: Db) {
    const s = crmSessionDaily;
    this.sessionDays = new ByShape(
      db,
      (shape) =>
        sql`SELECT ${fields({
          day: s.day,
          channel: s.channel,
          sessions: s.sessions,
          contentSessions: s.contentSessions,
          cleanSessions: s.cleanSessions,
          stuckSessions: s.stuckSessions,
          firstSessions: s.firstSessions,
          firstContentSessions: s.firstContentSessions,
          menuMs: s.menuMs,
          ends: s.ends,
          friction: s.friction,
        })} FROM ${s} WHERE ${rollupWhere(s, shape)} ORDER BY ${s.day}`,
    );
    const d = crmDiscoveryDaily;
    this.episodeDays = new ByShape(
      db,
      (shape) =>
        sql`SELECT ${fields({ channel: d.channel, flowId: d.flowId, language: d.language, cohort: d.cohort, soughtFlowId: d.soughtFlowId, nodeId: d.nodeId, ...counts(d) })}
            FROM ${d} WHERE ${rollupWhere(d, shape)}`,
    );
    const p = crmDiscoveryProfileDaily;
    this.profileDays = new ByShape(
      db,
      (shape) => sql`SELECT ${fields({ value: p.value, ...counts(p) })} FROM ${p} WHERE ${p.field} = ${sql.placeholder('field')} AND ${rollupWhere(p, shape)}`,
    );
    this.open = prepare(db, sql`SELECT count(*) AS n FROM ${crmOpenEpisodes}`);
  }

  /** Session rollups in the range, by day. */
  sessions(r: ReportRange): SessionDay[] {
    return this.sessionDays
      .for(r)
      .all(rollupParams(r))
      .map((row) => ({ ...row, ends: JSON.parse(row.ends) as Record<string, number>, friction: JSON.parse(row.friction) as Record<string, number> }));
  }

  /** Finished episodes in the range (by start day). */
  episodes(r: ReportRange): EpisodeDay[] {
    return this.episodeDays.for(r).all(rollupParams(r));
  }

  /** Finished episodes in the range per value of profile field `field`. */
  episodesByProfile(r: ReportRange, field: string): EpisodeProfileDay[] {
    return this.profileDays.for(r).all({ ...rollupParams(r), field });
  }

  /** Episodes not finished yet (not counted in any day). */
  openEpisodes(): number {
    return this.open.get()!.n;
  }
}
