import { getTableColumns, sql } from 'drizzle-orm';
import type { Database, Statement, Tx } from '../../db/database';
import { exitReasonsDaily, exitSurveys, pollInvites, polls } from '../../db/schema';
import { name } from '../../db/statement';
import { fields } from '../../reports/stores/rollup-store';

/** One change to the daily counts: `delta` surveys of a day, grouping value, status, reason. */
export type DailyDelta = {
  day: number;
  dim: string;
  value: string;
  status: string;
  reason: string;
  notAsked: string;
  delta: number;
};

/** A stored exit survey. */
export type ExitSurveyRow = typeof exitSurveys.$inferSelect;

const e = exitSurveys;
const p = (k: string) => sql.placeholder(k);
const COLUMNS = getTableColumns(e);
const KEYS = Object.keys(COLUMNS) as Array<keyof ExitSurveyRow>;

/**
 * Exit surveys for both engines (src/db/database.ts): one per exit (subscription and run), the question
 * and its answer, the report's daily counts and the follow-up finding an answer raises. Writes run in
 * the caller's unit of work; the decisions two processes could race on are made by the statements (a
 * second survey for one exit is not stored, an answer is recorded once, a finding is raised once).
 */
export class ExitSurveyStore {
  private readonly insertStmt: Statement<{ id: string }, ExitSurveyRow>;
  private readonly existsStmt: Statement<{ id: string }, { subscriptionId: string; runStartedAt: number }>;
  private readonly latestStmt: Statement<ExitSurveyRow, { subscriberId: number; channel: string }>;
  private readonly answerStmt: Statement<{ id: string }, { id: string; at: number; reason: string; freeText: string | null }>;
  private readonly findingStmt: Statement<never, { id: string; findingId: string }>;
  private readonly bumpStmt: Statement<never, DailyDelta>;
  private readonly openPollStmt: Statement<{ sentAt: number }, { subscriberId: number; at: number }>;
  private readonly askedStmt: Statement<never, Pick<ExitSurveyRow, 'id' | 'status' | 'notAskedReason' | 'askedChannel' | 'askedAt' | 'windowEndsAt' | 'messageId'>>;

  constructor(database: Database) {
    this.insertStmt = database.statement(
      sql`INSERT INTO ${e} (${sql.join(
        KEYS.map((k) => name(COLUMNS[k])),
        sql`, `,
      )}) VALUES (${sql.join(
        KEYS.map((k) => p(k)),
        sql`, `,
      )}) ON CONFLICT DO NOTHING RETURNING ${e.id} AS "id"`,
    );
    this.existsStmt = database.statement(sql`SELECT ${e.id} AS "id" FROM ${e} WHERE ${e.subscriptionId} = ${p('subscriptionId')} AND ${e.runStartedAt} = ${p('runStartedAt')}`);
    this.latestStmt = database.statement(
      sql`SELECT ${fields(COLUMNS)} FROM ${e} WHERE ${e.subscriberId} = ${p('subscriberId')} AND ${e.askedChannel} = ${p('channel')} ORDER BY ${e.askedAt} DESC LIMIT 1`,
    );
    // Only a question still asked takes an answer: of two answers racing, one is recorded.
    this.answerStmt = database.statement(
      sql`UPDATE ${e} SET ${name(e.status)} = 'answered', ${name(e.answeredAt)} = ${p('at')}, ${name(e.reason)} = ${p('reason')}, ${name(e.freeText)} = ${p('freeText')}
          WHERE ${e.id} = ${p('id')} AND ${e.status} = 'asked' RETURNING ${e.id} AS "id"`,
    );
    this.askedStmt = database.statement(
      sql`UPDATE ${e} SET ${name(e.status)} = ${p('status')}, ${name(e.notAskedReason)} = ${p('notAskedReason')}, ${name(e.askedChannel)} = ${p('askedChannel')},
          ${name(e.askedAt)} = ${p('askedAt')}, ${name(e.windowEndsAt)} = ${p('windowEndsAt')}, ${name(e.messageId)} = ${p('messageId')} WHERE ${e.id} = ${p('id')}`,
    );
    this.findingStmt = database.statement(sql`UPDATE ${e} SET ${name(e.findingId)} = ${p('findingId')} WHERE ${e.id} = ${p('id')}`);
    const d = exitReasonsDaily;
    this.bumpStmt = database.statement(
      sql`INSERT INTO ${d} (${name(d.day)}, ${name(d.dim)}, ${name(d.value)}, ${name(d.status)}, ${name(d.reason)}, ${name(d.notAsked)}, ${name(d.n)})
          VALUES (${p('day')}, ${p('dim')}, ${p('value')}, ${p('status')}, ${p('reason')}, ${p('notAsked')}, ${p('delta')})
          ON CONFLICT (${name(d.dim)}, ${name(d.day)}, ${name(d.value)}, ${name(d.status)}, ${name(d.reason)}, ${name(d.notAsked)}) DO UPDATE SET ${name(d.n)} = ${d.n} + excluded.${name(d.n)}`,
    );
    // The newest SMS poll question still open for the subscriber (the poll not closed, its reply window not over).
    this.openPollStmt = database.statement(
      sql`SELECT ${pollInvites.sentAt} AS "sentAt" FROM ${pollInvites} JOIN ${polls} ON ${polls.id} = ${pollInvites.pollId}
          WHERE ${pollInvites.subscriberId} = ${p('subscriberId')} AND ${pollInvites.channel} = 'sms' AND ${pollInvites.expiresAt} > ${p('at')} AND ${polls.status} != 'closed'
          ORDER BY ${pollInvites.sentAt} DESC LIMIT 1`,
    );
  }

  /** Stores a survey unless this exit (subscription and run) has one; true when stored. */
  async insert(row: ExitSurveyRow, tx: Tx): Promise<boolean> {
    return (await this.insertStmt.get(row, tx)) !== undefined;
  }

  /** Writes how the survey's question went out (asked by SMS, or not asked: blocked). */
  async asked(row: ExitSurveyRow, tx: Tx): Promise<void> {
    const { id, status, notAskedReason, askedChannel, askedAt, windowEndsAt, messageId } = row;
    await this.askedStmt.run({ id, status, notAskedReason, askedChannel, askedAt, windowEndsAt, messageId }, tx);
  }

  /** Whether this exit (subscription and run) already has a survey. */
  async exists(subscriptionId: string, runStartedAt: number, tx?: Tx): Promise<boolean> {
    return (await this.existsStmt.get({ subscriptionId, runStartedAt }, tx)) !== undefined;
  }

  /** The subscriber's latest question put on a channel (sms or ussd), answered or not. */
  async latestAskedOn(subscriberId: number, channel: 'sms' | 'ussd', tx?: Tx): Promise<ExitSurveyRow | null> {
    return (await this.latestStmt.get({ subscriberId, channel }, tx)) ?? null;
  }

  /** Records the answer (the first only); true when it was recorded. */
  async answer(id: string, at: number, reason: string, freeText: string | null, tx: Tx): Promise<boolean> {
    return (await this.answerStmt.get({ id, at, reason, freeText }, tx)) !== undefined;
  }

  /** Links the follow-up finding raised for the answer. */
  async setFinding(id: string, findingId: string, tx: Tx): Promise<void> {
    await this.findingStmt.run({ id, findingId }, tx);
  }

  /** Applies changes to the daily counts the report sums. */
  async bump(deltas: readonly DailyDelta[], tx: Tx): Promise<void> {
    for (const x of deltas) await this.bumpStmt.run(x, tx);
  }

  /** When the newest open SMS poll question was sent to the subscriber (null: none open). */
  async openPollSentAt(subscriberId: number, at: number, tx?: Tx): Promise<number | null> {
    const row = await this.openPollStmt.get({ subscriberId, at }, tx);
    return row ? Number(row.sentAt) : null;
  }

}
