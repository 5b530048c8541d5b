import { sql, type Column, type SQL } from 'drizzle-orm';
import type { Database, Statement, Tx } from '../db/database';
import { json } from '../db/portable';
import { crmNodeDaily, crmSessionDaily, crmUsageDaily } from '../db/schema';
import { name } from '../db/statement';
import { mergeHistogram } from './dwell';
import { hllMerge } from './hll';

const p = sql.placeholder;
/** Where a node's counts of one day go. */
export type NodeKey = { day: number; ch: string; flow: string; node: string };
/** Where a flow's session counts of one day go. */
export type SessionKey = { day: number; ch: string; flow: string };
type UsageKey = SessionKey & { dim: string; value: string };
/** The JSON columns as a raw row has them (text on SQLite, parsed on PostgreSQL: json() reads both); the counts as the schema types them. */
type NodeRow = Pick<typeof crmNodeDaily.$inferSelect, 'views' | 'sessions' | 'invalid' | 'backs' | 'dropoffs'> & { exits: unknown; dwell: unknown };
type SessionRow = Pick<typeof crmSessionDaily.$inferSelect, 'sessions' | 'contentSessions' | 'cleanSessions' | 'stuckSessions' | 'firstSessions' | 'firstContentSessions' | 'menuMs'> & { ends: unknown; friction: unknown };
type NodePut = NodeKey & Omit<NodeRow, 'exits' | 'dwell'> & { exits: string; dwell: string };
type SessionPut = SessionKey & Omit<SessionRow, 'ends' | 'friction'> & { ends: string; friction: string };
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

/**
 * `ON CONFLICT (keys) DO UPDATE SET` every other column of `cols` to the value inserted: the portable
 * form of SQLite's INSERT OR REPLACE for a row read, merged and written back whole.
 */
export function replacing(keys: Column[], cols: Column[]): SQL {
  const set = cols.filter((c) => !keys.includes(c)).map((c) => sql`${name(c)} = excluded.${name(c)}`);
  return sql`ON CONFLICT (${sql.join(keys.map((k) => name(k)), sql`, `)}) DO UPDATE SET ${sql.join(set, sql`, `)}`;
}

/**
 * The daily rollups per node, per flow and per subscriber dimension, on either engine: a pass adds its
 * counts to the day's rows inside its unit (a row per group read, merged and written: thousands per pass).
 */
const rollupsStores = new WeakMap<Database, RollupsStore>();

export class RollupsStore {
  private readonly getNode: Statement<NodeRow, NodeKey>;
  private readonly putNode: Statement<never, NodePut>;
  private readonly getSession: Statement<SessionRow, SessionKey>;
  private readonly putSession: Statement<never, SessionPut>;
  private readonly getUsage: Statement<UsageRow, UsageKey>;
  private readonly putUsage: Statement<never, UsageKey & UsageRow>;

  constructor(database: Database) {
    const n = crmNodeDaily;
    this.getNode = database.statement(
      sql`SELECT ${n.views} AS "views", ${n.sessions} AS "sessions", ${n.invalid} AS "invalid", ${n.backs} AS "backs", ${n.exits} AS "exits", ${n.dropoffs} AS "dropoffs", ${n.dwell} AS "dwell"
        FROM ${n} WHERE ${n.day} = ${p('day')} AND ${n.channel} = ${p('ch')} AND ${n.flowId} = ${p('flow')} AND ${n.nodeId} = ${p('node')}`,
    );
    this.putNode = database.statement(
      sql`INSERT INTO ${n} (${name(n.day)}, ${name(n.channel)}, ${name(n.flowId)}, ${name(n.nodeId)}, ${name(n.views)}, ${name(n.sessions)}, ${name(n.invalid)}, ${name(n.backs)}, ${name(n.exits)}, ${name(n.dropoffs)}, ${name(n.dwell)})
        VALUES (${p('day')}, ${p('ch')}, ${p('flow')}, ${p('node')}, ${p('views')}, ${p('sessions')}, ${p('invalid')}, ${p('backs')}, ${p('exits')}, ${p('dropoffs')}, ${p('dwell')})
        ${replacing([n.day, n.channel, n.flowId, n.nodeId], [n.views, n.sessions, n.invalid, n.backs, n.exits, n.dropoffs, n.dwell])}`,
    );
    const s = crmSessionDaily;
    this.getSession = database.statement(
      sql`SELECT ${s.sessions} AS "sessions", ${s.contentSessions} AS "contentSessions", ${s.cleanSessions} AS "cleanSessions", ${s.stuckSessions} AS "stuckSessions", ${s.firstSessions} AS "firstSessions",
          ${s.firstContentSessions} AS "firstContentSessions", ${s.menuMs} AS "menuMs", ${s.ends} AS "ends", ${s.friction} AS "friction"
        FROM ${s} WHERE ${s.day} = ${p('day')} AND ${s.channel} = ${p('ch')} AND ${s.flowId} = ${p('flow')}`,
    );
    this.putSession = database.statement(
      sql`INSERT INTO ${s} (${name(s.day)}, ${name(s.channel)}, ${name(s.flowId)}, ${name(s.sessions)}, ${name(s.contentSessions)}, ${name(s.cleanSessions)}, ${name(s.stuckSessions)},
          ${name(s.firstSessions)}, ${name(s.firstContentSessions)}, ${name(s.menuMs)}, ${name(s.ends)}, ${name(s.friction)})
        VALUES (${p('day')}, ${p('ch')}, ${p('flow')}, ${p('sessions')}, ${p('contentSessions')}, ${p('cleanSessions')}, ${p('stuckSessions')}, ${p('firstSessions')}, ${p('firstContentSessions')}, ${p('menuMs')}, ${p('ends')}, ${p('friction')})
        ${replacing([s.day, s.channel, s.flowId], [s.sessions, s.contentSessions, s.cleanSessions, s.stuckSessions, s.firstSessions, s.firstContentSessions, s.menuMs, s.ends, s.friction])}`,
    );
    const u = crmUsageDaily;
    this.getUsage = database.statement(
      sql`SELECT ${u.sessions} AS "sessions", ${u.contentSessions} AS "contentSessions", ${u.stuckSessions} AS "stuckSessions", ${u.subscribers} AS "subscribers"
        FROM ${u} WHERE ${u.day} = ${p('day')} AND ${u.channel} = ${p('ch')} AND ${u.flowId} = ${p('flow')} AND ${u.dim} = ${p('dim')} AND ${u.value} = ${p('value')}`,
    );
    this.putUsage = database.statement(
      sql`INSERT INTO ${u} (${name(u.day)}, ${name(u.channel)}, ${name(u.flowId)}, ${name(u.dim)}, ${name(u.value)}, ${name(u.sessions)}, ${name(u.contentSessions)}, ${name(u.stuckSessions)}, ${name(u.subscribers)})
        VALUES (${p('day')}, ${p('ch')}, ${p('flow')}, ${p('dim')}, ${p('value')}, ${p('sessions')}, ${p('contentSessions')}, ${p('stuckSessions')}, ${p('subscribers')})
        ${replacing([u.day, u.channel, u.flowId, u.dim, u.value], [u.sessions, u.contentSessions, u.stuckSessions, u.subscribers])}`,
    );
  }

  /** The store of `database` (one per database, so its statements are prepared once, not once per pass). */
  static of(database: Database): RollupsStore {
    let st = rollupsStores.get(database);
    if (!st) rollupsStores.set(database, (st = new RollupsStore(database)));
    return st;
  }

  /** Adds a node's counts to its row of crm_node_daily. */
  async addNode(key: NodeKey, a: NodeCounts, tx: Tx): Promise<void> {
    const old = await this.getNode.get(key, tx);
    const exits = old ? json<Record<string, number>>(old.exits) : {};
    for (const [k, v] of Object.entries(a.exits)) exits[k] = (exits[k] ?? 0) + v;
    const dwell = mergeHistogram(old ? json<number[]>(old.dwell) : [], a.dwell).map((v) => v ?? 0);
    await this.putNode.run({
      ...key,
      views: (old?.views ?? 0) + a.views,
      sessions: (old?.sessions ?? 0) + a.sessions,
      invalid: (old?.invalid ?? 0) + a.invalid,
      backs: (old?.backs ?? 0) + a.backs,
      exits: JSON.stringify(exits),
      dropoffs: (old?.dropoffs ?? 0) + a.dropoffs,
      dwell: JSON.stringify(dwell),
    }, tx);
  }

  /** Adds a flow's session counts to its row of crm_session_daily. */
  async addSessions(key: SessionKey, a: SessionCounts, tx: Tx): Promise<void> {
    const o = await this.getSession.get(key, tx);
    await this.putSession.run({
      ...key,
      sessions: (o?.sessions ?? 0) + a.sessions,
      contentSessions: (o?.contentSessions ?? 0) + a.content,
      cleanSessions: (o?.cleanSessions ?? 0) + a.clean,
      stuckSessions: (o?.stuckSessions ?? 0) + a.stuck,
      firstSessions: (o?.firstSessions ?? 0) + a.first,
      firstContentSessions: (o?.firstContentSessions ?? 0) + a.firstContent,
      menuMs: (o?.menuMs ?? 0) + a.menuMs,
      ends: JSON.stringify(addAll(o ? json<Record<string, number>>(o.ends) : {}, a.ends)),
      friction: JSON.stringify(addAll(o ? json<Record<string, number>>(o.friction) : {}, a.friction)),
    }, tx);
  }

  /** Adds a dimension value's session counts and distinct subscribers (HyperLogLog `hll`, merged in place) to its row. */
  async addUsage(key: UsageKey, a: { sessions: number; content: number; stuck: number }, hll: Uint8Array, tx: Tx): Promise<void> {
    const o = await this.getUsage.get(key, tx);
    if (o) hllMerge(hll, new Uint8Array(o.subscribers));
    await this.putUsage.run({
      ...key,
      sessions: (o?.sessions ?? 0) + a.sessions,
      contentSessions: (o?.contentSessions ?? 0) + a.content,
      stuckSessions: (o?.stuckSessions ?? 0) + a.stuck,
      subscribers: Buffer.from(hll),
    }, tx);
  }
}
