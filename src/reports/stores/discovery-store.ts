import { sql, type AnyColumn } from 'drizzle-orm';
import type { DiscoveryCounts } from '../../crm/discovery-rollup';
import type { Database, Statement } from '../../db/database';
import { json } from '../../db/portable';
import { crmDiscoveryDaily, crmDiscoveryProfileDaily, crmOpenEpisodes, crmSessionDaily } from '../../db/schema';
import type { ReportRange } from '../range';
import { fields, rollupParams, rollupWhere, ShapedStatements, type RollupParams } from './rollup-store';

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
  private readonly sessionDays: ShapedStatements<Omit<SessionDay, 'ends' | 'friction'> & { ends: unknown; friction: unknown }, RollupParams>;
  private readonly episodeDays: ShapedStatements<EpisodeDay, RollupParams>;
  private readonly profileDays: ShapedStatements<EpisodeProfileDay, RollupParams & { field: string }>;
  private readonly open: Statement<{ n: number }>;

  constructor(db: Database) {
    const s = crmSessionDaily;
    // In key order (day, channel, flow): the daily list and the per-channel keys come out alike on both engines.
    this.sessionDays = new ShapedStatements(
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
        })} FROM ${s} WHERE ${rollupWhere(s, shape)} ORDER BY ${s.day}, ${s.channel}, ${s.flowId}`,
    );
    const d = crmDiscoveryDaily;
    // In key order (the primary key's, as SQLite reads it anyway): nodes the report ranks equal keep the
    // order they were first seen in, the same on both engines.
    this.episodeDays = new ShapedStatements(
      db,
      (shape) =>
        sql`SELECT ${fields({ channel: d.channel, flowId: d.flowId, language: d.language, cohort: d.cohort, soughtFlowId: d.soughtFlowId, nodeId: d.nodeId, ...counts(d) })}
            FROM ${d} WHERE ${rollupWhere(d, shape)} ORDER BY ${d.day}, ${d.channel}, ${d.flowId}, ${d.language}, ${d.cohort}, ${d.soughtFlowId}, ${d.nodeId}`,
    );
    const p = crmDiscoveryProfileDaily;
    this.profileDays = new ShapedStatements(
      db,
      (shape) =>
        sql`SELECT ${fields({ value: p.value, ...counts(p) })} FROM ${p} WHERE ${p.field} = ${sql.placeholder('field')} AND ${rollupWhere(p, shape)}`,
    );
    this.open = db.statement(sql`SELECT count(*) AS "n" FROM ${crmOpenEpisodes}`);
  }

  /** Session rollups in the range, by day. */
  async sessions(r: ReportRange): Promise<SessionDay[]> {
    return (await this.sessionDays.for(r).all(rollupParams(r))).map((row) => ({ ...row, ends: json<Record<string, number>>(row.ends), friction: json<Record<string, number>>(row.friction) }));
  }

  /** Finished episodes in the range (by start day). */
  async episodes(r: ReportRange): Promise<EpisodeDay[]> {
    return this.episodeDays.for(r).all(rollupParams(r));
  }

  /** Finished episodes in the range per value of profile field `field`. */
  async episodesByProfile(r: ReportRange, field: string): Promise<EpisodeProfileDay[]> {
    return this.profileDays.for(r).all({ ...rollupParams(r), field });
  }

  /** Episodes not finished yet (not counted in any day). */
  async openEpisodes(): Promise<number> {
    return (await this.open.get())!.n;
  }
}
