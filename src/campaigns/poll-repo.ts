import { and, count, desc, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { pollAnswers, pollInvites, polls } from '../db/schema';
import { name, prepare, type Prepared } from '../db/statement';

/** A poll as the gateway uses it (texts parsed from their JSON columns). */
export type Poll = typeof polls.$inferSelect;

/** An open or answered invitation of one subscriber to one poll. */
export type PollInvite = typeof pollInvites.$inferSelect;

const p = sql.placeholder;

/** Data access for polls, their answers and invitations (prepared statements: MO replies are a hot path). */
export class PollRepo {
  private readonly byId;
  private readonly byKey;
  private readonly inviteOf;
  private readonly latestSmsInvite;
  private readonly answerOf;
  private readonly insertAnswer: Prepared<never, { pollId: string; subscriberId: number; answer: number; channel: string; campaignId: string | null; at: number }>;
  private readonly markAnswered: Prepared<never, { at: number; pollId: string; subscriberId: number }>;
  private readonly markClarified: Prepared<never, { at: number; pollId: string; subscriberId: number }>;
  private readonly upsert: Prepared<never, { pollId: string; subscriberId: number; channel: string; campaignId: string | null; sentAt: number; expiresAt: number }>;

  constructor(private readonly db: Db) {
    this.byId = db.select().from(polls).where(eq(polls.id, p('id'))).prepare();
    this.byKey = db.select().from(polls).where(eq(polls.key, p('key'))).prepare();
    this.inviteOf = db
      .select()
      .from(pollInvites)
      .where(and(eq(pollInvites.pollId, p('pollId')), eq(pollInvites.subscriberId, p('subscriberId'))))
      .prepare();
    this.latestSmsInvite = db
      .select()
      .from(pollInvites)
      .where(and(eq(pollInvites.subscriberId, p('subscriberId')), eq(pollInvites.channel, 'sms')))
      .orderBy(desc(pollInvites.sentAt))
      .limit(1)
      .prepare();
    this.answerOf = db
      .select({ answer: pollAnswers.answer, at: pollAnswers.at })
      .from(pollAnswers)
      .where(and(eq(pollAnswers.pollId, p('pollId')), eq(pollAnswers.subscriberId, p('subscriberId'))))
      .prepare();
    const a = pollAnswers;
    this.insertAnswer = prepare(
      db,
      sql`INSERT OR IGNORE INTO ${a} (${name(a.pollId)}, ${name(a.subscriberId)}, ${name(a.answer)}, ${name(a.channel)}, ${name(a.campaignId)}, ${name(a.at)})
          VALUES (${p('pollId')}, ${p('subscriberId')}, ${p('answer')}, ${p('channel')}, ${p('campaignId')}, ${p('at')})`,
    );
    const i = pollInvites;
    const ofInvite = sql`${i.pollId} = ${p('pollId')} AND ${i.subscriberId} = ${p('subscriberId')}`;
    this.markAnswered = prepare(db, sql`UPDATE ${i} SET ${name(i.answeredAt)} = coalesce(${i.answeredAt}, ${p('at')}) WHERE ${ofInvite}`);
    this.markClarified = prepare(db, sql`UPDATE ${i} SET ${name(i.clarifiedAt)} = ${p('at')} WHERE ${ofInvite}`);
    // A new invitation to the same poll re-opens it for replies (and for one more clarification).
    this.upsert = prepare(
      db,
      sql`INSERT INTO ${i} (${name(i.pollId)}, ${name(i.subscriberId)}, ${name(i.channel)}, ${name(i.campaignId)}, ${name(i.sentAt)}, ${name(i.expiresAt)})
          VALUES (${p('pollId')}, ${p('subscriberId')}, ${p('channel')}, ${p('campaignId')}, ${p('sentAt')}, ${p('expiresAt')})
          ON CONFLICT (${name(i.pollId)}, ${name(i.subscriberId)}) DO UPDATE SET ${name(i.channel)} = excluded.${name(i.channel)},
            ${name(i.campaignId)} = excluded.${name(i.campaignId)}, ${name(i.sentAt)} = excluded.${name(i.sentAt)},
            ${name(i.expiresAt)} = excluded.${name(i.expiresAt)}, ${name(i.clarifiedAt)} = NULL`,
    );
  }

  /** The poll with this id, or null. */
  find(id: string): Poll | null {
    return this.byId.get({ id }) ?? null;
  }

  /** The poll with this key (the name flows use), or null. */
  findByKey(key: string): Poll | null {
    return this.byKey.get({ key }) ?? null;
  }

  /** Every poll, newest first. */
  list(limit: number): Poll[] {
    return this.db.select().from(polls).orderBy(desc(polls.createdAt), desc(polls.id)).limit(limit).all();
  }

  /** Inserts a poll. */
  insert(poll: Poll): void {
    this.db.insert(polls).values(poll).run();
  }

  /** Writes the editable fields of a poll. */
  update(poll: Poll): void {
    this.db
      .update(polls)
      .set({ question: poll.question, answers: poll.answers, keywords: poll.keywords, status: poll.status, updatedAt: poll.updatedAt })
      .where(eq(polls.id, poll.id))
      .run();
  }

  /** Records an answer unless one is already counted; true when this one counts. */
  addAnswer(pollId: string, subscriberId: number, answer: number, channel: string, campaignId: string | null, at: number): boolean {
    return this.insertAnswer.run({ pollId, subscriberId, answer, channel, campaignId, at }) === 1;
  }

  /** The counted answer of a subscriber, or null. */
  answerFor(pollId: string, subscriberId: number): { answer: number; at: number } | null {
    return this.answerOf.get({ pollId, subscriberId }) ?? null;
  }

  /** How many answers the poll has counted. */
  answerCount(pollId: string): number {
    return this.db.select({ n: count() }).from(pollAnswers).where(eq(pollAnswers.pollId, pollId)).get()?.n ?? 0;
  }

  /** The invitation of a subscriber to a poll, or null. */
  invite(pollId: string, subscriberId: number): PollInvite | null {
    return this.inviteOf.get({ pollId, subscriberId }) ?? null;
  }

  /** Invites a subscriber to a poll (or re-invites: the invitation opens again for replies). */
  upsertInvite(v: { pollId: string; subscriberId: number; channel: 'sms' | 'call'; campaignId: string | null; sentAt: number; expiresAt: number }): void {
    this.upsert.run(v);
  }

  /** The subscriber's most recent SMS poll invitation, or null. */
  latestSmsInviteFor(subscriberId: number): PollInvite | null {
    return this.latestSmsInvite.get({ subscriberId }) ?? null;
  }

  /** Marks the invitation answered (first answer time kept). */
  setAnswered(pollId: string, subscriberId: number, at: number): void {
    this.markAnswered.run({ at, pollId, subscriberId });
  }

  /** Records that the one clarifying SMS went out. */
  setClarified(pollId: string, subscriberId: number, at: number): void {
    this.markClarified.run({ at, pollId, subscriberId });
  }
}
