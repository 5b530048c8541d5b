import { getTableColumns, sql, type SQL, type Table } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { BatchWriter } from '../../db/batch-writer';
import type { Database, Dialect, Statement, Tx } from '../../db/database';
import { campaignAssignments, campaignRecipients, campaignRuns, campaigns, messages, segments, subscribers, usageEvents } from '../../db/schema';
import { name } from '../../db/statement';

/** The rows of one planted batch. */
export interface PlantedRows {
  messages: (typeof messages.$inferInsert)[];
  assignments: (typeof campaignAssignments.$inferInsert)[];
  recipients: (typeof campaignRecipients.$inferInsert)[];
  events: (typeof usageEvents.$inferInsert)[];
}

const p = sql.placeholder;

/**
 * Rows of one table written 100 to a statement (BatchWriter) with the columns `keys` names; a key a row
 * leaves out is written as the column's default (NULL when it has none). JSON and boolean columns are encoded as the engine stores them (text and
 * 0/1 on SQLite, jsonb and true/false on PostgreSQL).
 */
class PlantWriter<R extends Record<string, unknown>> {
  private readonly writer: BatchWriter;
  private readonly encode: Array<(row: R) => unknown>;

  constructor(database: Database, table: Table, keys: readonly (keyof R & string)[], tail: SQL = sql``) {
    const cols = getTableColumns(table) as Record<string, SQLiteColumn>;
    const head = sql`INSERT INTO ${table} (${sql.join(
      keys.map((k) => name(cols[k]!)),
      sql`, `,
    )}) VALUES`;
    this.writer = new BatchWriter(database, head, keys.length, tail);
    this.encode = keys.map((k) => encoder(database.dialect, cols[k]!, k));
  }

  /** Writes `rows` in unit `tx` and empties the list. */
  async write(rows: R[], tx: Tx): Promise<void> {
    for (const r of rows) await this.writer.add(this.encode.map((e) => e(r)), tx);
    await this.writer.flush(tx);
    rows.length = 0;
  }
}

/** A column's value in a row as the engine takes it; a key the row leaves out takes the column's default. */
function encoder<R extends Record<string, unknown>>(dialect: Dialect, col: SQLiteColumn, key: string): (row: R) => unknown {
  const value = (r: R): unknown => (r[key] === undefined ? (col.default ?? null) : r[key]);
  if (col.columnType === 'SQLiteTextJson') return (r) => (value(r) === null ? null : JSON.stringify(value(r)));
  if (col.columnType === 'SQLiteBoolean') return (r) => (value(r) === null ? null : dialect === 'sqlite' ? (value(r) ? 1 : 0) : Boolean(value(r)));
  return value;
}

/**
 * The writes of the planted arms campaign (src/crm/generator/arms.ts), for either engine: campaign,
 * segment, run, outbox rows, assignments, recipients and goal events, inside the caller's unit of work.
 */
export class ArmsPlantStore {
  private readonly firstSubscribers: Statement<{ id: number; msisdn: string }, { limit: number }>;
  private readonly segment: PlantWriter<typeof segments.$inferInsert>;
  private readonly campaign: PlantWriter<typeof campaigns.$inferInsert>;
  private readonly run: Statement<{ id: number }, Record<string, unknown>>;
  private readonly finish: Statement<never, { id: number; queued: number; blocked: number; cursor: number }>;
  private readonly messages: PlantWriter<typeof messages.$inferInsert>;
  private readonly assignments: PlantWriter<typeof campaignAssignments.$inferInsert>;
  private readonly recipients: PlantWriter<typeof campaignRecipients.$inferInsert>;
  private readonly events: PlantWriter<typeof usageEvents.$inferInsert>;

  constructor(database: Database) {
    this.firstSubscribers = database.statement(sql`SELECT ${subscribers.id} AS "id", ${subscribers.msisdn} AS "msisdn" FROM ${subscribers} ORDER BY ${subscribers.id} LIMIT ${p('limit')}`);
    // A second planted campaign reuses the segment.
    this.segment = new PlantWriter(database, segments, ['id', 'name', 'filter', 'createdAt', 'updatedAt'], sql`ON CONFLICT DO NOTHING`);
    this.campaign = new PlantWriter(database, campaigns, ['id', 'name', 'kind', 'channel', 'segmentId', 'timezone', 'status', 'scheduleAt', 'runs', 'lastRunAt', 'arms', 'holdoutPercent', 'goal', 'createdAt', 'updatedAt']);
    const r = campaignRuns;
    this.run = database.statement(
      sql`INSERT INTO ${r} (${name(r.campaignId)}, ${name(r.dueAt)}, ${name(r.status)}, ${name(r.startedAt)}, ${name(r.finishedAt)}, ${name(r.total)})
          VALUES (${p('campaignId')}, ${p('dueAt')}, ${p('status')}, ${p('startedAt')}, ${p('finishedAt')}, ${p('total')}) RETURNING ${r.id} AS "id"`,
    );
    this.finish = database.statement(sql`UPDATE ${r} SET ${name(r.queued)} = ${p('queued')}, ${name(r.blocked)} = ${p('blocked')}, ${name(r.cursor)} = ${p('cursor')} WHERE ${r.id} = ${p('id')}`);
    this.messages = new PlantWriter(database, messages, ['id', 'subscriberId', 'msisdn', 'text', 'kind', 'source', 'sourceRef', 'status', 'encoding', 'parts', 'attempts', 'dueAt', 'expiresAt', 'createdAt', 'updatedAt', 'sentAt', 'deliveredAt', 'finalAt']);
    this.assignments = new PlantWriter(database, campaignAssignments, ['campaignId', 'subscriberId', 'arm', 'runId', 'channel', 'ref', 'assignedAt', 'settled']);
    this.recipients = new PlantWriter(database, campaignRecipients, ['runId', 'subscriberId', 'status', 'reason', 'ref', 'at']);
    this.events = new PlantWriter(database, usageEvents, ['at', 'subscriberId', 'channel', 'type', 'flowId', 'nodeId', 'detail']);
  }

  /** The first `limit` subscribers by id. */
  subscribers(limit: number, tx: Tx): Promise<{ id: number; msisdn: string }[]> {
    return this.firstSubscribers.all({ limit }, tx);
  }

  /** Inserts the campaign and its segment and a finished run; returns the run id. */
  async campaignIn(c: typeof campaigns.$inferInsert, segment: typeof segments.$inferInsert, run: Pick<typeof campaignRuns.$inferInsert, 'campaignId' | 'dueAt' | 'status' | 'startedAt' | 'finishedAt' | 'total'>, tx: Tx): Promise<number> {
    await this.segment.write([segment], tx);
    await this.campaign.write([c], tx);
    const row = await this.run.get({ startedAt: null, finishedAt: null, total: 0, ...run }, tx);
    return Number(row!.id);
  }

  /** Writes a batch and empties it. */
  async flush(rows: PlantedRows, tx: Tx): Promise<void> {
    // Assignments refer to the outbox rows, recipients to the run: the outbox first.
    await this.messages.write(rows.messages, tx);
    await this.assignments.write(rows.assignments, tx);
    await this.recipients.write(rows.recipients, tx);
    await this.events.write(rows.events, tx);
  }

  /** Sets the run's handed-over counts and cursor. */
  async finishRun(runId: number, queued: number, blocked: number, cursor: number, tx: Tx): Promise<void> {
    await this.finish.run({ id: runId, queued, blocked, cursor }, tx);
  }
}
