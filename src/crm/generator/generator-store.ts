import type { Statement } from 'better-sqlite3';
import { getTableName, sql, type AnyColumn, type SQL } from 'drizzle-orm';
import { SQLiteSyncDialect, type SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { Db } from '../../db/client';
import { billingEvents, calls, crmInterventions, messages, sessions, subscribers, subscriptions, usageEvents } from '../../db/schema';
import { name, prepare, type Prepared } from '../../db/statement';
import { fields } from '../../reports/stores/rollup-store';
import { BatchInsert } from '../../db/batch-insert';

const dialect = new SQLiteSyncDialect();
/** The text of a query whose values are all `?` in order (bulk statements bound positionally: no object per row). */
const text = (q: SQL): string => dialect.sqlToQuery(q).sql;
const cols = (list: AnyColumn[]): SQL => sql.join(list.map((c) => name(c)), sql`, `);
const marks = (n: number): SQL => sql.raw(new Array<string>(n).fill('?').join(', '));
const insertHead = (t: SQLiteTable, list: AnyColumn[]): string => text(sql`INSERT INTO ${t} (${cols(list)}) VALUES`);

/** The tables whose secondary indexes a fresh bulk load drops and rebuilds (cheaper than keeping them up to date). */
const BULK_TABLES = [usageEvents, sessions, billingEvents];

/** An intervention the CRM pass decided (`sub`: its subscriber), with when its message or call was due to go out. */
export type DecidedIntervention = Pick<
  typeof crmInterventions.$inferSelect,
  'id' | 'kind' | 'arm' | 'status' | 'channel' | 'messageId' | 'callId' | 'at' | 'windowEndsAt'
> & { sub: number; msgDue: number | null; callDue: number | null };

/**
 * The synthetic population's writes: bulk inserts of subscribers, usage events, sessions, subscriptions
 * and billing events, the simulated fate of intervention messages and calls, and the bulk-load
 * housekeeping (indexes, synchronous, transactions). Only `vasgw generate` and its tests use it.
 */
export class GeneratorStore {
  readonly events: BatchInsert;
  readonly sessions: BatchInsert;
  readonly billing: BatchInsert;
  private readonly subscriberStmt: Statement;
  private readonly subscriptionStmt: Statement;
  private readonly seenStmt: Statement;
  private readonly countStmt: Prepared<{ n: number }>;
  private readonly maxBillingStmt: Prepared<{ m: number }>;

  constructor(private readonly db: Db) {
    const c = db.$client;
    const s = subscribers;
    const subscriberCols = [s.id, s.msisdn, s.language, s.region, s.crop, s.operator, s.profile, s.optedOut, s.optedOutAt, s.firstSeenAt, s.lastSeenAt, s.updatedAt];
    this.subscriberStmt = c.prepare(text(sql`INSERT INTO ${s} (${cols(subscriberCols)}) VALUES (${marks(subscriberCols.length)})`));
    const e = usageEvents;
    const eventCols = [e.at, e.subscriberId, e.channel, e.type, e.sessionId, e.flowId, e.nodeId, e.detail];
    this.events = new BatchInsert(c, insertHead(e, eventCols), eventCols.length);
    const t = subscriptions;
    this.subscriptionStmt = c.prepare(
      text(sql`INSERT OR IGNORE INTO ${t} (${cols([t.id, t.subscriberId, t.serviceId, t.state, t.currency, t.evaluatedAt, t.createdAt, t.updatedAt])}) VALUES (?, ?, ?, 'none', ?, ?, ?, ?)`),
    );
    const n = sessions;
    const sessionCols = [n.id, n.channel, n.externalId, n.subscriberId, n.flowId, n.serviceCode, n.state, n.status, n.endReason, n.hops, n.startedAt, n.lastActivityAt, n.endedAt];
    this.sessions = new BatchInsert(c, insertHead(n, sessionCols), sessionCols.length);
    const b = billingEvents;
    const billingCols = [b.id, b.subscriptionId, b.source, b.externalId, b.type, b.at, b.receivedAt, b.amountMinor, b.currency, b.reason];
    this.billing = new BatchInsert(c, insertHead(b, billingCols), billingCols.length);
    this.seenStmt = c.prepare(text(sql`UPDATE ${s} SET ${name(s.lastSeenAt)} = ? WHERE ${s.id} = ? AND ${s.lastSeenAt} < ?`));
    this.countStmt = prepare(db, sql`SELECT count(*) AS n FROM ${s}`);
    this.maxBillingStmt = prepare(db, sql`SELECT coalesce(max(${b.id}), 0) AS m FROM ${b}`);
  }

  /** How many subscribers the database holds. */
  subscriberCount(): number {
    return this.countStmt.get()!.n;
  }

  /** The largest billing event id so far (0 when none). */
  maxBillingEventId(): number {
    return this.maxBillingStmt.get()!.m;
  }

  /** Inserts subscriber row `values` (id, msisdn, language, region, crop, operator, profile JSON, opted out, opted out at, first seen, last seen, updated). */
  insertSubscriber(values: readonly unknown[]): void {
    this.subscriberStmt.run(values);
  }

  /** Creates the subscription row (state none, folded later) unless it exists; true when created. */
  insertSubscription(id: string, subscriberId: number, serviceId: string, currency: string, at: number): boolean {
    return this.subscriptionStmt.run(id, subscriberId, serviceId, currency, at, at, at).changes === 1;
  }

  /** Moves a subscriber's last-seen time forward to `at`. */
  markSeen(subscriberId: number, at: number): void {
    this.seenStmt.run(at, subscriberId, at);
  }

  /** Runs `fn` in one transaction (a savepoint inside an open one). */
  transaction(fn: () => void): void {
    this.db.$client.transaction(fn)();
  }

  /** The current `synchronous` setting, to restore after a bulk load. */
  synchronous(): number {
    return this.db.$client.pragma('synchronous', { simple: true }) as number;
  }

  /** Sets `synchronous` (OFF during a bulk load: a crash means generating again). */
  setSynchronous(level: number | 'OFF'): void {
    this.db.$client.pragma(`synchronous = ${level}`);
  }

  /** Drops the secondary indexes of the bulk-loaded tables; returns their definitions for {@link restoreIndexes}. */
  dropBulkIndexes(): { name: string; sql: string }[] {
    const names = BULK_TABLES.map((t) => sql`${getTableName(t)}`);
    const indexes = prepare<{ name: string; sql: string }>(
      this.db,
      sql`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (${sql.join(names, sql`, `)})`,
    ).all();
    for (const ix of indexes) this.db.$client.prepare(text(sql`DROP INDEX ${sql.identifier(ix.name)}`)).run();
    return indexes;
  }

  /** Recreates indexes dropped by {@link dropBulkIndexes}. */
  restoreIndexes(indexes: readonly { sql: string }[]): void {
    for (const ix of indexes) this.db.$client.prepare(ix.sql).run();
  }
}

/** What the treatment simulation reads and writes: the interventions a pass decided and the fate of their messages and calls. */
export class TreatmentStore {
  private readonly decidedStmt: Prepared<DecidedIntervention, { after: number; until: number }>;
  private readonly closedStmt: Prepared<{ id: string }>;
  private readonly messageStmt: Statement;
  private readonly callStmt: Statement;

  constructor(db: Db) {
    const i = crmInterventions;
    this.decidedStmt = prepare(
      db,
      sql`SELECT ${fields({
        id: i.id,
        sub: i.subscriberId,
        kind: i.kind,
        arm: i.arm,
        status: i.status,
        channel: i.channel,
        messageId: i.messageId,
        callId: i.callId,
        at: i.at,
        windowEndsAt: i.windowEndsAt,
        msgDue: messages.dueAt,
        callDue: calls.nextAttemptAt,
      })}
      FROM ${i} LEFT JOIN ${messages} ON ${messages.id} = ${i.messageId} LEFT JOIN ${calls} ON ${calls.id} = ${i.callId}
      WHERE ${i.at} > ${sql.placeholder('after')} AND ${i.at} <= ${sql.placeholder('until')} ORDER BY ${i.id}`,
    );
    this.closedStmt = prepare(db, sql`SELECT ${i.id} AS id FROM ${i} WHERE ${i.outcomeClosed} = 1`);
    const m = messages;
    this.messageStmt = db.$client.prepare(
      text(sql`UPDATE ${m} SET ${name(m.status)} = ?, ${name(m.attempts)} = 1, ${name(m.bindId)} = ?, ${name(m.sentAt)} = ?, ${name(m.deliveredAt)} = ?, ${name(m.finalAt)} = ?, ${name(m.updatedAt)} = ?, ${name(m.error)} = ?
               WHERE ${m.id} = ? AND ${m.status} = ?`),
    );
    const c = calls;
    this.callStmt = db.$client.prepare(
      text(sql`UPDATE ${c} SET ${name(c.status)} = ?, ${name(c.reason)} = ?, ${name(c.attempts)} = 1, ${name(c.provider)} = 'simulated', ${name(c.nextAttemptAt)} = NULL, ${name(c.dialedAt)} = ?, ${name(c.answeredAt)} = ?,
               ${name(c.endedAt)} = ?, ${name(c.durationSeconds)} = ?, ${name(c.updatedAt)} = ? WHERE ${c.id} = ? AND ${c.status} = 'queued'`),
    );
  }

  /** Interventions decided after `after` up to `until`, in id order. */
  decided(after: number, until: number): DecidedIntervention[] {
    return this.decidedStmt.all({ after, until });
  }

  /** Ids of the interventions whose outcome window is closed. */
  closedIds(): Set<string> {
    return new Set(this.closedStmt.all().map((r) => r.id));
  }

  /** A queued message's simulated fate: sent at `sentAt`, then delivered or failed at `finalAt`. */
  settleMessage(id: string, delivered: boolean, sentAt: number, finalAt: number): void {
    if (delivered) this.messageStmt.run('delivered', 'simulated', sentAt, finalAt, finalAt, finalAt, null, id, 'queued');
    else this.messageStmt.run('failed', 'simulated', sentAt, null, finalAt, finalAt, 'UNDELIV', id, 'queued');
  }

  /** A queued call's simulated fate, as (status, reason, dialled, answered, ended, seconds, updated). */
  settleCall(id: string, status: string, reason: string | null, dialedAt: number, answeredAt: number | null, endedAt: number, seconds: number): void {
    this.callStmt.run(status, reason, dialedAt, answeredAt, endedAt, seconds, endedAt, id);
  }
}
