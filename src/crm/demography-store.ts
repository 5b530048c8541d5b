import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { crmContentProfileDaily, crmUsageProfileDaily } from '../db/schema';
import { name, prepare, type Prepared } from '../db/statement';
import { sketchBytes, sketchMergeBytes, type DistinctSketch } from './distinct-sketch';

type Usage = Pick<typeof crmUsageProfileDaily.$inferSelect, 'visits' | 'sessions' | 'contentSessions' | 'subscribers'>;
/** One group's key: day, channel, flow, profile field and value. */
export type GroupKey = { day: number; ch: string; flow: string; field: string; value: string };

/** The demography rollups' tables: a pass adds its visits (and distinct subscribers) to the day's rows. */
export class DemographyStore {
  private readonly getUsage: Prepared<Usage, GroupKey>;
  private readonly putUsage: Prepared<never, GroupKey & Usage>;
  private readonly putContent: Prepared<never, GroupKey & { node: string; visits: number }>;

  constructor(db: Db) {
    const u = crmUsageProfileDaily;
    const at = (t: typeof u | typeof crmContentProfileDaily) =>
      sql`${t.day} = ${sql.placeholder('day')} AND ${t.channel} = ${sql.placeholder('ch')} AND ${t.flowId} = ${sql.placeholder('flow')} AND ${t.field} = ${sql.placeholder('field')} AND ${t.value} = ${sql.placeholder('value')}`;
    this.getUsage = prepare(db, sql`SELECT ${u.visits} AS visits, ${u.sessions} AS sessions, ${u.contentSessions} AS contentSessions, ${u.subscribers} AS subscribers FROM ${u} WHERE ${at(u)}`);
    this.putUsage = prepare(
      db,
      sql`INSERT OR REPLACE INTO ${u} (${name(u.day)}, ${name(u.channel)}, ${name(u.flowId)}, ${name(u.field)}, ${name(u.value)}, ${name(u.visits)}, ${name(u.sessions)}, ${name(u.contentSessions)}, ${name(u.subscribers)})
        VALUES (${sql.placeholder('day')}, ${sql.placeholder('ch')}, ${sql.placeholder('flow')}, ${sql.placeholder('field')}, ${sql.placeholder('value')}, ${sql.placeholder('visits')}, ${sql.placeholder('sessions')}, ${sql.placeholder('contentSessions')}, ${sql.placeholder('subscribers')})`,
    );
    const c = crmContentProfileDaily;
    // Readers sum these rows by group, so an upsert (one statement, the row keeps its place) does.
    this.putContent = prepare(
      db,
      sql`INSERT INTO ${c} (${name(c.day)}, ${name(c.channel)}, ${name(c.flowId)}, ${name(c.nodeId)}, ${name(c.field)}, ${name(c.value)}, ${name(c.visits)})
        VALUES (${sql.placeholder('day')}, ${sql.placeholder('ch')}, ${sql.placeholder('flow')}, ${sql.placeholder('node')}, ${sql.placeholder('field')}, ${sql.placeholder('value')}, ${sql.placeholder('visits')})
        ON CONFLICT (${name(c.day)}, ${name(c.channel)}, ${name(c.flowId)}, ${name(c.nodeId)}, ${name(c.field)}, ${name(c.value)}) DO UPDATE SET ${name(c.visits)} = ${name(c.visits)} + excluded.${name(c.visits)}`,
    );
  }

  /** Adds a group's visits and distinct subscribers (`subs`, merged with the stored ones) to its row. */
  addUsage(key: GroupKey, a: { visits: number; sessions: number; content: number }, subs: DistinctSketch): void {
    const o = this.getUsage.get(key);
    if (o) sketchMergeBytes(subs, new Uint8Array(o.subscribers.buffer, o.subscribers.byteOffset, o.subscribers.byteLength));
    this.putUsage.run({ ...key, visits: (o?.visits ?? 0) + a.visits, sessions: (o?.sessions ?? 0) + a.sessions, contentSessions: (o?.contentSessions ?? 0) + a.content, subscribers: sketchBytes(subs) });
  }

  /** Adds a group's visits that reached content node `node`. */
  addContent(key: GroupKey, node: string, visits: number): void {
    this.putContent.run({ ...key, node, visits });
  }
}
