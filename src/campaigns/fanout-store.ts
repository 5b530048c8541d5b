import { sql } from 'drizzle-orm';
import type { Database, Statement, Tx } from '../db/database';
import { bool } from '../db/portable';
import { selectList } from '../db/select-list';
import { campaignRecipients, campaignRuns, pollAnswers, subscribers } from '../db/schema';
import { name } from '../db/statement';
import type { CampaignRun, RecipientRow, RecipientUpdate } from './campaign-types';
import type { SegmentWhere } from './segment-repo';

const p = sql.placeholder;
const r = campaignRecipients;
const runs = campaignRuns;
type RecipientStatus = (typeof campaignRecipients.$inferSelect)['status'];
/** A recipient row as the statement returns it: the opt-out flag as the engine stores it. */
type RawRecipient = Omit<RecipientRow, 'optedOut'> & { optedOut: unknown };

/**
 * A campaign run's fan-out on either engine: the recipient list filled from the segment, then handed
 * over batch by batch from a cursor, each batch (the outbox rows, the recipients' outcomes, the cursor
 * and counts) one unit of work the caller opens. Every write here decides on the row's state in the
 * statement itself (the run still pending and leased by this process, the lease still this process's),
 * so two processes never hand the same batch over.
 */
export class FanoutStore {
  private readonly startSending: Statement<never, { runId: number; owner: string; now: number }>;
  private readonly setTotal: Statement<never, { runId: number; total: number }>;
  private readonly renew: Statement<never, { runId: number; owner: string; expiresAt: number }>;
  private readonly runById: Statement<CampaignRun, { id: number }>;
  private readonly next: Statement<RawRecipient, { runId: number; after: number; limit: number }>;
  private readonly setRecipient: Statement<never, { runId: number; subscriberId: number; status: RecipientStatus; ref: string | null; reason: string | null; at: number }>;
  private readonly advance: Statement<never, { runId: number; cursor: number; queued: number; blocked: number }>;

  constructor(private readonly database: Database) {
    const s = subscribers;
    this.startSending = database.statement(
      sql`UPDATE ${runs} SET ${name(runs.status)} = 'sending', ${name(runs.startedAt)} = ${p('now')}, ${name(runs.paceFromAt)} = ${p('now')}, ${name(runs.paceFromCount)} = 0
          WHERE ${runs.id} = ${p('runId')} AND ${runs.status} = 'pending' AND ${runs.leaseOwner} = ${p('owner')}`,
    );
    this.setTotal = database.statement(sql`UPDATE ${runs} SET ${name(runs.total)} = ${p('total')} WHERE ${runs.id} = ${p('runId')}`);
    this.renew = database.statement(
      sql`UPDATE ${runs} SET ${name(runs.leaseExpiresAt)} = ${p('expiresAt')} WHERE ${runs.id} = ${p('runId')} AND ${runs.status} = 'sending' AND ${runs.leaseOwner} = ${p('owner')}`,
    );
    this.runById = database.statement(sql`SELECT ${selectList(runs)} FROM ${runs} WHERE ${runs.id} = ${p('id')}`);
    this.next = database.statement(
      sql`SELECT ${r.subscriberId} AS "subscriberId", ${s.msisdn} AS "msisdn", ${s.language} AS "language", ${s.operator} AS "operator", ${s.optedOut} AS "optedOut"
          FROM ${r} JOIN ${s} ON ${s.id} = ${r.subscriberId}
          WHERE ${r.runId} = ${p('runId')} AND ${r.subscriberId} > ${p('after')} ORDER BY ${r.subscriberId} LIMIT ${p('limit')}`,
    );
    // By the recipients' key (run, subscriber): the same seek on both engines.
    this.setRecipient = database.statement(
      sql`UPDATE ${r} SET ${name(r.status)} = ${p('status')}, ${name(r.ref)} = ${p('ref')}, ${name(r.reason)} = ${p('reason')}, ${name(r.at)} = ${p('at')}
          WHERE ${r.runId} = ${p('runId')} AND ${r.subscriberId} = ${p('subscriberId')}`,
    );
    this.advance = database.statement(
      sql`UPDATE ${runs} SET ${name(runs.cursor)} = ${p('cursor')}, ${name(runs.queued)} = ${runs.queued} + ${p('queued')}, ${name(runs.blocked)} = ${runs.blocked} + ${p('blocked')}
          WHERE ${runs.id} = ${p('runId')}`,
    );
  }

  /**
   * Fills a pending run's recipient list with one INSERT ... SELECT (set-based: a million rows in
   * seconds) and marks it sending, if it is still pending and leased by `owner`; null otherwise.
   * `unansweredPoll` leaves out who has answered that poll already.
   */
  async selectRecipients(runId: number, owner: string, where: SegmentWhere, now: number, unansweredPoll: string | undefined, tx: Tx): Promise<number | null> {
    if (where.dialect !== this.database.dialect) throw new Error(`segment filter compiled for ${where.dialect}, database is ${this.database.dialect}`);
    if ((await this.startSending.run({ runId, owner, now }, tx)) !== 1) return null;
    const s = subscribers;
    const pa = pollAnswers;
    const notAnswered = unansweredPoll ? sql` AND NOT EXISTS (SELECT 1 FROM ${pa} WHERE ${pa.pollId} = ${unansweredPoll} AND ${pa.subscriberId} = ${s.id})` : sql``;
    // The run id is an integer of ours, written into the statement: PostgreSQL cannot type a bare parameter in a SELECT list.
    const total = await tx.run(
      sql`INSERT INTO ${r} (${name(r.runId)}, ${name(r.subscriberId)}, ${name(r.status)})
          SELECT ${sql.raw(String(Math.trunc(runId)))}, ${s.id}, 'pending' FROM ${s} WHERE ${where.sql}${notAnswered} ORDER BY ${s.id}`,
    );
    await this.setTotal.run({ runId, total }, tx);
    return total;
  }

  /** Extends the lease of a run still sending; false when the lease is lost or the run paused or cancelled. */
  async renewLease(runId: number, owner: string, expiresAt: number, tx: Tx): Promise<boolean> {
    return (await this.renew.run({ runId, owner, expiresAt }, tx)) === 1;
  }

  /** The run as unit `tx` sees it, or null. */
  async run(id: number, tx: Tx): Promise<CampaignRun | null> {
    return (await this.runById.get({ id }, tx)) ?? null;
  }

  /** The next recipients after the cursor, with what the text and the outbox policies need. */
  async recipientsAfter(runId: number, cursor: number, limit: number, tx: Tx): Promise<RecipientRow[]> {
    const rows = await this.next.all({ runId, after: cursor, limit }, tx);
    for (const x of rows) x.optedOut = bool(x.optedOut);
    return rows as RecipientRow[];
  }

  /** Records what happened to a batch of recipients (`updates[i]` is the outcome of `rows[i]`) and moves the cursor past it. */
  async recordBatch(runId: number, rows: readonly Pick<RecipientRow, 'subscriberId'>[], updates: readonly RecipientUpdate[], cursor: number, at: number, tx: Tx): Promise<void> {
    let queued = 0;
    for (let i = 0; i < updates.length; i++) {
      const u = updates[i]!;
      await this.setRecipient.run({ runId, subscriberId: rows[i]!.subscriberId, status: u.status, ref: u.ref, reason: u.reason, at }, tx);
      if (u.status === 'queued') queued++;
    }
    await this.advance.run({ runId, cursor, queued, blocked: updates.length - queued }, tx);
  }
}
