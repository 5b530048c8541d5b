import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { crmNodeDaily, crmSessionDaily, crmUsageDaily } from '../db/schema';
import { name, prepare, type Prepared } from '../db/statement';
import { mergeHistogram } from './dwell';
import { hllMerge } from './hll';

const p = sql.placeholder;
/** Where a node's counts of one day go. */
export type NodeKey = { day: number; ch: string; flow: string; node: string };
/** Where a flow's session counts of one day go. */
export type SessionKey = { day: number; ch: string; flow: string };
type UsageKey = SessionKey & { dim: string; value: string };
/** The JSON columns as stored (text); the counts as the schema types them. */
type NodeRow = Pick<typeof crmNodeDaily.$inferSelect, 'views' | 'sessions' | 'invalid' | 'backs' | 'dropoffs'> & { exits: string; dwell: string };
type SessionRow = Pick<typeof crmSessionDaily.$inferSelect, 'sessions' | 'contentSessions' | 'cleanSessions' | 'stuckSessions' | 'firstSessions' | 'firstContentSessions' | 'menuMs'> & { ends: string; friction: string };
type UsageRow = Pick<typeof crmUsageDaily.$inferSelect, 'sessions' | 'contentSessions' | 'stuckSessions' | 'subscribers'>;

/** A node's counts of one pass. */
export interface NodeCounts {
  views: number;
  sessions: number;
  invalid: number;
  backs: number;
  exits: Record<string, number>;
  dropoffs: number;
  dwell: number[];
}

/** A flow's session counts of one pass. */
export interface SessionCounts {
  sessions: number;
  content: number;
  clean: number;
  stuck: number;
  first: number;
  firstContent: number;
  menuMs: number;
  ends: Record<string, number>;
  friction: Record<string, number>;
}

const addAll = (dst: Record<string, number>, src: Record<string, number>) => {
  for (const [k, v] of Object.entries(src)) dst[k] = (dst[k] ?? 0) + v;
  return dst;
};

/** The daily rollups per node, per flow and per subscriber dimension: a pass adds its counts to the day's rows. */
export class RollupsStore {
  private readonly getNode: Prepared<NodeRow, NodeKey>;
  private readonly putNode: Prepared<never, NodeKey & Omit<NodeRow, never>>;
  private readonly getSession: Prepared<SessionRow, SessionKey>;
  private readonly putSession: Prepared<never, SessionKey & SessionRow>;
  private readonly getUsage: Prepared<UsageRow, UsageKey>;
  private readonly putUsage: Prepared<never, UsageKey & UsageRow>;

  constructor(db: Db) {
    const n = crmNodeDaily;
    this.getNode = prepare(
      db,
      sql`SELECT ${n.views} AS views, ${n.sessions} AS sessions, ${n.invalid} AS invalid, ${n.backs} AS backs, ${n.exits} AS exits, ${n.dropoffs} AS dropoffs, ${n.dwell} AS dwell
        FROM ${n} WHERE ${n.day} = ${p('day')} AND ${n.channel} = ${p('ch')} AND ${n.flowId} = ${p('flow')} AND ${n.nodeId} = ${p('node')}`,
    );
    this.putNode = prepare(
      db,
      sql`INSERT OR REPLACE INTO ${n} (${name(n.day)}, ${name(n.channel)}, ${name(n.flowId)}, ${name(n.nodeId)}, ${name(n.views)}, ${name(n.sessions)}, ${name(n.invalid)}, ${name(n.backs)}, ${name(n.exits)}, ${name(n.dropoffs)}, ${name(n.dwell)})
        VALUES (${p('day')}, ${p('ch')}, ${p('flow')}, ${p('node')}, ${p('views')}, ${p('sessions')}, ${p('invalid')}, ${p('backs')}, ${p('exits')}, ${p('dropoffs')}, ${p('dwell')})`,
    );
    const s = crmSessionDaily;
    this.getSession = prepare(
      db,
      sql`SELECT ${s.sessions} AS sessions, ${s.contentSessions} AS contentSessions, ${s.cleanSessions} AS cleanSessions, ${s.stuckSessions} AS stuckSessions, ${s.firstSessions} AS firstSessions,
          ${s.firstContentSessions} AS firstContentSessions, ${s.menuMs} AS menuMs, ${s.ends} AS ends, ${s.friction} AS friction
        FROM ${s} WHERE ${s.day} = ${p('day')} AND ${s.channel} = ${p('ch')} AND ${s.flowId} = ${p('flow')}`,
    );
    this.putSession = prepare(
      db,
      sql`INSERT OR REPLACE INTO ${s} (${name(s.day)}, ${name(s.channel)}, ${name(s.flowId)}, ${name(s.sessions)}, ${name(s.contentSessions)}, ${name(s.cleanSessions)}, ${name(s.stuckSessions)},
          ${name(s.firstSessions)}, ${name(s.firstContentSessions)}, ${name(s.menuMs)}, ${name(s.ends)}, ${name(s.friction)})
        VALUES (${p('day')}, ${p('ch')}, ${p('flow')}, ${p('sessions')}, ${p('contentSessions')}, ${p('cleanSessions')}, ${p('stuckSessions')}, ${p('firstSessions')}, ${p('firstContentSessions')}, ${p('menuMs')}, ${p('ends')}, ${p('friction')})`,
    );
    const u = crmUsageDaily;
    this.getUsage = prepare(
      db,
      sql`SELECT ${u.sessions} AS sessions, ${u.contentSessions} AS contentSessions, ${u.stuckSessions} AS stuckSessions, ${u.subscribers} AS subscribers
        FROM ${u} WHERE ${u.day} = ${p('day')} AND ${u.channel} = ${p('ch')} AND ${u.flowId} = ${p('flow')} AND ${u.dim} = ${p('dim')} AND ${u.value} = ${p('value')}`,
    );
    this.putUsage = prepare(
      db,
      sql`INSERT OR REPLACE INTO ${u} (${name(u.day)}, ${name(u.channel)}, ${name(u.flowId)}, ${name(u.dim)}, ${name(u.value)}, ${name(u.sessions)}, ${name(u.contentSessions)}, ${name(u.stuckSessions)}, ${name(u.subscribers)})
        VALUES (${p('day')}, ${p('ch')}, ${p('flow')}, ${p('dim')}, ${p('value')}, ${p('sessions')}, ${p('contentSessions')}, ${p('stuckSessions')}, ${p('subscribers')})`,
    );
  }

  /** Adds a node's counts to its row of crm_node_daily. */
  addNode(key: NodeKey, a: NodeCounts): void {
    const old = this.getNode.get(key);
    const exits = old ? (JSON.parse(old.exits) as Record<string, number>) : {};
    for (const [k, v] of Object.entries(a.exits)) exits[k] = (exits[k] ?? 0) + v;
    const dwell = mergeHistogram(old ? (JSON.parse(old.dwell) as number[]) : [], a.dwell).map((v) => v ?? 0);
    this.putNode.run({
      ...key,
      views: (old?.views ?? 0) + a.views,
      sessions: (old?.sessions ?? 0) + a.sessions,
      invalid: (old?.invalid ?? 0) + a.invalid,
      backs: (old?.backs ?? 0) + a.backs,
      exits: JSON.stringify(exits),
      dropoffs: (old?.dropoffs ?? 0) + a.dropoffs,
      dwell: JSON.stringify(dwell),
    });
  }

  /** Adds a flow's session counts to its row of crm_session_daily. */
  addSessions(key: SessionKey, a: SessionCounts): void {
    const o = this.getSession.get(key);
    this.putSession.run({
      ...key,
      sessions: (o?.sessions ?? 0) + a.sessions,
      contentSessions: (o?.contentSessions ?? 0) + a.content,
      cleanSessions: (o?.cleanSessions ?? 0) + a.clean,
      stuckSessions: (o?.stuckSessions ?? 0) + a.stuck,
      firstSessions: (o?.firstSessions ?? 0) + a.first,
      firstContentSessions: (o?.firstContentSessions ?? 0) + a.firstContent,
      menuMs: (o?.menuMs ?? 0) + a.menuMs,
      ends: JSON.stringify(addAll(o ? (JSON.parse(o.ends) as Record<string, number>) : {}, a.ends)),
      friction: JSON.stringify(addAll(o ? (JSON.parse(o.friction) as Record<string, number>) : {}, a.friction)),
    });
  }

  /** Adds a dimension value's session counts and distinct subscribers (HyperLogLog `hll`, merged in place) to its row. */
  addUsage(key: UsageKey, a: { sessions: number; content: number; stuck: number }, hll: Uint8Array): void {
    const o = this.getUsage.get(key);
    if (o) hllMerge(hll, new Uint8Array(o.subscribers));
    this.putUsage.run({
      ...key,
      sessions: (o?.sessions ?? 0) + a.sessions,
      contentSessions: (o?.contentSessions ?? 0) + a.content,
      stuckSessions: (o?.stuckSessions ?? 0) + a.stuck,
      subscribers: Buffer.from(hll),
    });
  }
}
