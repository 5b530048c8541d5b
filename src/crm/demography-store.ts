import { sql } from 'drizzle-orm';
import { BatchWriter } from '../db/batch-writer';
import type { Database, Statement, Tx } from '../db/database';
import { crmContentProfileDaily, crmUsageProfileDaily } from '../db/schema';
import { name } from '../db/statement';
import { replacing } from './rollups-store';
import { sketchBytes, sketchMergeBytes, type DistinctSketch } from './distinct-sketch';

type Usage = Pick<typeof crmUsageProfileDaily.$inferSelect, 'visits' | 'sessions' | 'contentSessions' | 'subscribers'>;
/** One group's key: day, channel, flow, profile field and value. */
export type GroupKey = { day: number; ch: string; flow: string; field: string; value: string };

const u = crmUsageProfileDaily;
const c = crmContentProfileDaily;
const USAGE_COLUMNS = [u.day, u.channel, u.flowId, u.field, u.value, u.visits, u.sessions, u.contentSessions, u.subscribers];
const CONTENT_COLUMNS = [c.day, c.channel, c.flowId, c.nodeId, c.field, c.value, c.visits];

/**
 * The demography rollups' tables, on either engine: a pass adds its visits (and distinct subscribers) to
 * the day's rows inside its unit. Rows are written a hundred per statement; `flush` writes the rest, so
 * call it before reading them back.
 */
const demographyStores = new WeakMap<Database, DemographyStore>();

export class DemographyStore {
  private readonly getUsage: Statement<Usage, GroupKey>;
  private readonly putUsage: BatchWriter;
  private readonly putContent: BatchWriter;

  constructor(database: Database) {
    const at = sql`${u.day} = ${sql.placeholder('day')} AND ${u.channel} = ${sql.placeholder('ch')} AND ${u.flowId} = ${sql.placeholder('flow')} AND ${u.field} = ${sql.placeholder('field')} AND ${u.value} = ${sql.placeholder('value')}`;
    this.getUsage = database.statement(sql`SELECT ${u.visits} AS "visits", ${u.sessions} AS "sessions", ${u.contentSessions} AS "contentSessions", ${u.subscribers} AS "subscribers" FROM ${u} WHERE ${at}`);
    // A group's usage row is read, merged and replaced whole: one group appears once per flush.
    this.putUsage = new BatchWriter(database, sql`INSERT INTO ${u} (${sql.join(USAGE_COLUMNS.map((x) => name(x)), sql`, `)}) VALUES`, USAGE_COLUMNS.length, replacing([u.day, u.channel, u.flowId, u.field, u.value], USAGE_COLUMNS));
    // Readers sum these rows by group, so an upsert (one statement, the row keeps its place) does.
    this.putContent = new BatchWriter(
      database,
      sql`INSERT INTO ${c} (${sql.join(CONTENT_COLUMNS.map((x) => name(x)), sql`, `)}) VALUES`,
      CONTENT_COLUMNS.length,
      sql`ON CONFLICT (${name(c.day)}, ${name(c.channel)}, ${name(c.flowId)}, ${name(c.nodeId)}, ${name(c.field)}, ${name(c.value)}) DO UPDATE SET ${name(c.visits)} = ${c.visits} + excluded.${name(c.visits)}`,
    );
  }

  /** The store of `database` (one per database, so its statements are prepared once, not once per pass). */
  static of(database: Database): DemographyStore {
    let st = demographyStores.get(database);
    if (!st) demographyStores.set(database, (st = new DemographyStore(database)));
    return st;
  }

  /** Adds a group's visits and distinct subscribers (`subs`, merged with the stored ones) to its row (each group once per flush). */
  async addUsage(key: GroupKey, a: { visits: number; sessions: number; content: number }, subs: DistinctSketch, tx: Tx): Promise<void> {
    const o = await this.getUsage.get(key, tx);
    if (o) sketchMergeBytes(subs, new Uint8Array(o.subscribers.buffer, o.subscribers.byteOffset, o.subscribers.byteLength));
    await this.putUsage.add([key.day, key.ch, key.flow, key.field, key.value, (o?.visits ?? 0) + a.visits, (o?.sessions ?? 0) + a.sessions, (o?.contentSessions ?? 0) + a.content, sketchBytes(subs)], tx);
  }

  /** Adds a group's visits that reached content node `node`. */
  addContent(key: GroupKey, node: string, visits: number, tx: Tx): Promise<void> {
    return this.putContent.add([key.day, key.ch, key.flow, node, key.field, key.value, visits], tx);
  }

  /** Writes the queued rows. */
  async flush(tx: Tx): Promise<void> {
    await this.putUsage.flush(tx);
    await this.putContent.flush(tx);
  }
}
