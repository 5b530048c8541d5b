import { sql, type SQL } from 'drizzle-orm';
import type { Database, Statement as UnitStatement, Tx } from '../db/database';
import { json } from '../db/portable';
import { selectList } from '../db/select-list';
import { name } from '../db/statement';
import { usageEvents } from '../db/schema';

/** A usage event as stored. */
export type UsageEventRow = typeof usageEvents.$inferSelect;

/** A usage event to append (the id is assigned by the database). */
export type NewUsageEvent = Omit<typeof usageEvents.$inferInsert, 'id'>;

const p = <N extends string>(n: N) => sql.placeholder(n);

/** Most rows one multi-row INSERT takes (8 values each, far below SQLite's limit on bound values). */
const MANY = 16;

/** The names of row `j`'s placeholders in a multi-row INSERT, in column order. */
const ROW_KEYS = Array.from({ length: MANY }, (_, j) => ['at', 'sub', 'ch', 'type', 'ses', 'flow', 'node', 'detail'].map((k) => `${k}${j}`));

/**
 * The usage log's table: append-only writes inside units of work, newest-first reads per subscriber,
 * on either engine.
 */
export class UsageRepo {
  /** INSERTs of 1..MANY rows, prepared on first use: a hop appends one to three events in one statement call. */
  private readonly insertsIn: Array<UnitStatement<never, Record<string, unknown>>> = [];
  private readonly head: SQL;
  private readonly listStmt;

  constructor(private readonly database: Database) {
    // The detail is bound already serialized.
    const u = usageEvents;
    const cols = [u.at, u.subscriberId, u.channel, u.type, u.sessionId, u.flowId, u.nodeId, u.detail];
    this.head = sql`INSERT INTO ${u} (${sql.join(cols.map(name), sql`, `)}) VALUES `;
    this.listStmt = database.statement<Omit<UsageEventRow, 'detail'> & { detail: unknown }, { subscriberId: number; beforeId: number; limit: number }>(
      sql`SELECT ${selectList(u)} FROM ${u} WHERE ${u.subscriberId} = ${p('subscriberId')} AND ${u.id} < ${p('beforeId')} ORDER BY ${u.id} DESC LIMIT ${p('limit')}`,
    );
  }

  /**
   * Appends events in unit of work `tx`, one statement per MANY, in order (so ids ascend as the events
   * happened).
   */
  async appendAllIn(tx: Tx, events: readonly NewUsageEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += MANY) {
      const n = Math.min(MANY, events.length - i);
      const values: Record<string, unknown> = {};
      for (let j = 0; j < n; j++) {
        const e = events[i + j]!;
        const k = ROW_KEYS[j]!;
        values[k[0]!] = e.at;
        values[k[1]!] = e.subscriberId;
        values[k[2]!] = e.channel;
        values[k[3]!] = e.type;
        values[k[4]!] = e.sessionId ?? null;
        values[k[5]!] = e.flowId ?? null;
        values[k[6]!] = e.nodeId ?? null;
        values[k[7]!] = e.detail ? JSON.stringify(e.detail) : null;
      }
      await (this.insertsIn[n] ??= this.insertInOf(n)).run(values, tx);
    }
  }

  private insertInOf(rows: number): UnitStatement<never, Record<string, unknown>> {
    const tuples = ROW_KEYS.slice(0, rows).map((keys) => sql`(${sql.join(keys.map((k) => sql.placeholder(k)), sql`, `)})`);
    return this.database.statement(sql`${this.head}${sql.join(tuples, sql`, `)}`);
  }

  /** A subscriber's events with id below `beforeId`, newest first. */
  async listBefore(subscriberId: number, beforeId: number, limit: number): Promise<UsageEventRow[]> {
    const rows = await this.listStmt.all({ subscriberId, beforeId, limit });
    return rows.map((r) => ({ ...r, detail: r.detail === null ? null : json<Record<string, unknown>>(r.detail) }));
  }
}
