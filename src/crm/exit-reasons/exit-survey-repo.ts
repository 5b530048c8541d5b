import { and, desc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { exitReasonsDaily, exitSurveys, pollInvites, polls } from '../../db/schema';
import { name, prepare, type Prepared } from '../../db/statement';

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

/** Exit surveys: one per exit (subscription and run), the question and its answer. */
export class ExitSurveyRepo {
  private readonly ins: Prepared<never, ExitSurveyRow>;
  private readonly latestAsked;
  private readonly answerStmt: Prepared<never, { id: string; at: number; reason: string; freeText: string | null }>;
  private readonly findingStmt: Prepared<never, { id: string; findingId: string }>;
  private readonly byId;
  private readonly exitStmt;
  private readonly bumpStmt: Prepared<never, DailyDelta>;
  private readonly openPoll: Prepared<{ sentAt: number }, { subscriberId: number; at: number }>;

  constructor(private readonly db: Db) {
    const p = (k: string) => sql.placeholder(k);
    this.ins = prepare(
      db,
      sql`INSERT OR IGNORE INTO ${e} (${name(e.id)}, ${name(e.subscriberId)}, ${name(e.serviceId)}, ${name(e.subscriptionId)}, ${name(e.runStartedAt)}, ${name(e.exitAt)}, ${name(e.exitChannel)}, ${name(e.status)}, ${name(e.notAskedReason)}, ${name(e.askedChannel)}, ${name(e.askedAt)}, ${name(e.windowEndsAt)}, ${name(e.messageId)}, ${name(e.answeredAt)}, ${name(e.reason)}, ${name(e.freeText)}, ${name(e.tenureDays)}, ${name(e.region)}, ${name(e.cohort)}, ${name(e.language)}, ${name(e.findingId)})
          VALUES (${p('id')}, ${p('subscriberId')}, ${p('serviceId')}, ${p('subscriptionId')}, ${p('runStartedAt')}, ${p('exitAt')}, ${p('exitChannel')}, ${p('status')}, ${p('notAskedReason')}, ${p('askedChannel')}, ${p('askedAt')}, ${p('windowEndsAt')}, ${p('messageId')}, ${p('answeredAt')}, ${p('reason')}, ${p('freeText')}, ${p('tenureDays')}, ${p('region')}, ${p('cohort')}, ${p('language')}, ${p('findingId')})`,
    );
    this.latestAsked = db
      .select()
      .from(e)
      .where(and(eq(e.subscriberId, sql.placeholder('subscriberId')), eq(e.askedChannel, sql.placeholder('channel'))))
      .orderBy(desc(e.askedAt))
      .limit(1)
      .prepare();
    this.exitStmt = db
      .select({ id: e.id })
      .from(e)
      .where(and(eq(e.subscriptionId, sql.placeholder('subscriptionId')), eq(e.runStartedAt, sql.placeholder('runStartedAt'))))
      .prepare();
    this.byId = db.select().from(e).where(eq(e.id, sql.placeholder('id'))).prepare();
    this.answerStmt = prepare(
      db,
      sql`UPDATE ${e} SET ${name(e.status)} = 'answered', ${name(e.answeredAt)} = ${p('at')}, ${name(e.reason)} = ${p('reason')}, ${name(e.freeText)} = ${p('freeText')} WHERE ${e.id} = ${p('id')} AND ${e.status} = 'asked'`,
    );
    this.findingStmt = prepare(db, sql`UPDATE ${e} SET ${name(e.findingId)} = ${p('findingId')} WHERE ${e.id} = ${p('id')}`);
    const d = exitReasonsDaily;
    this.bumpStmt = prepare(
      db,
      sql`INSERT INTO ${d} (${name(d.day)}, ${name(d.dim)}, ${name(d.value)}, ${name(d.status)}, ${name(d.reason)}, ${name(d.notAsked)}, ${name(d.n)})
          VALUES (${p('day')}, ${p('dim')}, ${p('value')}, ${p('status')}, ${p('reason')}, ${p('notAsked')}, ${p('delta')})
          ON CONFLICT (${name(d.dim)}, ${name(d.day)}, ${name(d.value)}, ${name(d.status)}, ${name(d.reason)}, ${name(d.notAsked)}) DO UPDATE SET ${name(d.n)} = ${d.n} + excluded.${name(d.n)}`,
    );
    // The newest SMS poll question still open for the subscriber (the poll not closed, its reply window not over).
    this.openPoll = prepare(
      db,
      sql`SELECT ${pollInvites.sentAt} AS sentAt FROM ${pollInvites} JOIN ${polls} ON ${polls.id} = ${pollInvites.pollId}
          WHERE ${pollInvites.subscriberId} = ${p('subscriberId')} AND ${pollInvites.channel} = 'sms' AND ${pollInvites.expiresAt} > ${p('at')} AND ${polls.status} != 'closed'
          ORDER BY ${pollInvites.sentAt} DESC LIMIT 1`,
    );
  }

  /** Stores a survey unless this exit (subscription and run) has one; true when stored. */
  insert(row: ExitSurveyRow): boolean {
    return this.ins.run(row) === 1;
  }

  /** Whether this exit (subscription and run) already has a survey. */
  exists(subscriptionId: string, runStartedAt: number): boolean {
    return this.exitStmt.get({ subscriptionId, runStartedAt }) !== undefined;
  }

  /** The subscriber's latest question put on a channel (sms or ussd), answered or not. */
  latestAskedOn(subscriberId: number, channel: 'sms' | 'ussd'): ExitSurveyRow | null {
    return this.latestAsked.get({ subscriberId, channel }) ?? null;
  }

  /** One survey by id. */
  find(id: string): ExitSurveyRow | null {
    return this.byId.get({ id }) ?? null;
  }

  /** Records the answer (the first only); true when it was recorded. */
  answer(id: string, at: number, reason: string, freeText: string | null): boolean {
    return this.answerStmt.run({ id, at, reason, freeText }) === 1;
  }

  /** Links the follow-up finding raised for the answer. */
  setFinding(id: string, findingId: string): void {
    this.findingStmt.run({ id, findingId });
  }

  /** Applies changes to the daily counts the report sums. */
  bump(deltas: readonly DailyDelta[]): void {
    for (const x of deltas) this.bumpStmt.run(x);
  }

  /** When the newest open SMS poll question was sent to the subscriber (null: none open). */
  openPollSentAt(subscriberId: number, at: number): number | null {
    return this.openPoll.get({ subscriberId, at })?.sentAt ?? null;
  }

  /** The database, for transactions. */
  get handle(): Db {
    return this.db;
  }
}
