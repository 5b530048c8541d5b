import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { Database, Statement, Tx } from '../db/database';
import { json } from '../db/portable';
import { pollAnswers, pollInvites, polls } from '../db/schema';
import { selectList } from '../db/select-list';
import { name } from '../db/statement';

/** A poll as the gateway uses it (texts parsed from their JSON columns). */
export type Poll = typeof polls.$inferSelect;

/** An open or answered invitation of one subscriber to one poll. */
export type PollInvite = typeof pollInvites.$inferSelect;

/** Invites a subscriber to a poll: what a campaign batch writes for each recipient it reached. */
export type InviteDraft = { pollId: string; subscriberId: number; channel: 'sms' | 'call'; campaignId: string | null; sentAt: number; expiresAt: number };

/**
 * How a poll read inside a unit holds the row on PostgreSQL until the unit ends: `share` for an answer
 * (many answer at once, an edit waits for them), `update` for an edit (answers wait for it). Nothing on
 * SQLite, where units take turns.
 */
export type PollLock = 'none' | 'share' | 'update';

const p = sql.placeholder;

/** The polls row as a raw statement returns it: its JSON columns still encoded (text on SQLite). */
type PollRow = Omit<Poll, 'question' | 'answers' | 'keywords'> & { question: unknown; answers: unknown; keywords: unknown };

const decode = (x: PollRow): Poll => ({ ...x, question: json<Poll['question']>(x.question), answers: json<Poll['answers']>(x.answers), keywords: json<Poll['keywords']>(x.keywords) });

/** A poll as statement parameters: JSON columns as JSON text (SQLite text, PostgreSQL jsonb input). */
const params = (x: Poll) => ({ ...x, question: JSON.stringify(x.question), answers: JSON.stringify(x.answers), keywords: JSON.stringify(x.keywords) });
type PollParams = ReturnType<typeof params>;

type Of = { pollId: string; subscriberId: number };

/**
 * Data access for polls, their answers and invitations, for both engines (statements prepared once:
 * MO replies are a hot path). Decisions two processes could race on are made by the statements: an
 * answer counts when its insert inserts, a clarification goes out when its update updates.
 */
export class PollRepo {
  private readonly byId: Record<PollLock, Statement<PollRow, { id: string }>>;
  private readonly byKey: Statement<PollRow, { key: string }>;
  private readonly insertPoll: Statement<{ id: string }, PollParams>;
  private readonly updatePoll: Statement<never, PollParams>;
  private readonly inviteOf: Statement<PollInvite, Of>;
  private readonly latestSmsInvite: Statement<PollInvite, { subscriberId: number }>;
  private readonly answers: Statement<{ n: number }, { pollId: string }>;
  private readonly insertAnswer: Statement<{ pollId: string }, Of & { answer: number; channel: string; campaignId: string | null; at: number }>;
  private readonly markAnswered: Statement<never, Of & { at: number }>;
  private readonly markClarified: Statement<{ pollId: string }, Of & { at: number }>;
  private readonly upsert: Statement<never, InviteDraft>;

  constructor(database: Database) {
    const lock = (l: PollLock): SQL => (database.dialect !== 'postgresql' || l === 'none' ? sql`` : l === 'share' ? sql` FOR SHARE` : sql` FOR UPDATE`);
    const byIdSql = (l: PollLock) => sql`SELECT ${selectList(polls)} FROM ${polls} WHERE ${polls.id} = ${p('id')}${lock(l)}`;
    this.byId = { none: database.statement(byIdSql('none')), share: database.statement(byIdSql('share')), update: database.statement(byIdSql('update')) };
    this.byKey = database.statement(sql`SELECT ${selectList(polls)} FROM ${polls} WHERE ${polls.key} = ${p('key')}${lock('share')}`);
    // Every column, named once by the schema: the row's keys are the placeholders.
    const cols = Object.entries(getTableColumns(polls));
    // A key already taken (by another process too) inserts nothing: the caller is told by the empty RETURNING.
    this.insertPoll = database.statement(
      sql`INSERT INTO ${polls} (${sql.join(cols.map(([, c]) => name(c)), sql`, `)}) VALUES (${sql.join(cols.map(([k]) => p(k)), sql`, `)})
          ON CONFLICT DO NOTHING RETURNING ${name(polls.id)} AS "id"`,
    );
    this.updatePoll = database.statement(
      sql`UPDATE ${polls} SET ${name(polls.question)} = ${p('question')}, ${name(polls.answers)} = ${p('answers')}, ${name(polls.keywords)} = ${p('keywords')},
          ${name(polls.status)} = ${p('status')}, ${name(polls.updatedAt)} = ${p('updatedAt')} WHERE ${polls.id} = ${p('id')}`,
    );
    const i = pollInvites;
    const ofInvite = sql`${i.pollId} = ${p('pollId')} AND ${i.subscriberId} = ${p('subscriberId')}`;
    this.inviteOf = database.statement(sql`SELECT ${selectList(i)} FROM ${i} WHERE ${ofInvite}`);
    this.latestSmsInvite = database.statement(
      sql`SELECT ${selectList(i)} FROM ${i} WHERE ${i.subscriberId} = ${p('subscriberId')} AND ${i.channel} = 'sms' ORDER BY ${i.sentAt} DESC LIMIT 1`,
    );
    const a = pollAnswers;
    this.answers = database.statement(sql`SELECT count(*) AS "n" FROM ${a} WHERE ${a.pollId} = ${p('pollId')}`);
    // The first answer counts: the insert decides, so the same answer arriving on two processes counts once.
    this.insertAnswer = database.statement(
      sql`INSERT INTO ${a} (${name(a.pollId)}, ${name(a.subscriberId)}, ${name(a.answer)}, ${name(a.channel)}, ${name(a.campaignId)}, ${name(a.at)})
          VALUES (${p('pollId')}, ${p('subscriberId')}, ${p('answer')}, ${p('channel')}, ${p('campaignId')}, ${p('at')})
          ON CONFLICT (${name(a.pollId)}, ${name(a.subscriberId)}) DO NOTHING RETURNING ${name(a.pollId)} AS "pollId"`,
    );
    this.markAnswered = database.statement(sql`UPDATE ${i} SET ${name(i.answeredAt)} = coalesce(${i.answeredAt}, ${p('at')}) WHERE ${ofInvite}`);
    // One clarification per invitation, and none once answered: the update decides, not an earlier read.
    this.markClarified = database.statement(
      sql`UPDATE ${i} SET ${name(i.clarifiedAt)} = ${p('at')} WHERE ${ofInvite} AND ${i.clarifiedAt} IS NULL AND ${i.answeredAt} IS NULL RETURNING ${name(i.pollId)} AS "pollId"`,
    );
    // A new invitation to the same poll re-opens it for replies (and for one more clarification).
    const upsertSql = sql`INSERT INTO ${i} (${name(i.pollId)}, ${name(i.subscriberId)}, ${name(i.channel)}, ${name(i.campaignId)}, ${name(i.sentAt)}, ${name(i.expiresAt)})
          VALUES (${p('pollId')}, ${p('subscriberId')}, ${p('channel')}, ${p('campaignId')}, ${p('sentAt')}, ${p('expiresAt')})
          ON CONFLICT (${name(i.pollId)}, ${name(i.subscriberId)}) DO UPDATE SET ${name(i.channel)} = excluded.${name(i.channel)},
            ${name(i.campaignId)} = excluded.${name(i.campaignId)}, ${name(i.sentAt)} = excluded.${name(i.sentAt)},
            ${name(i.expiresAt)} = excluded.${name(i.expiresAt)}, ${name(i.clarifiedAt)} = NULL`;
    this.upsert = database.statement(upsertSql);
  }

  /** The poll with this id, or null, inside unit `tx` (held as `lock` says on PostgreSQL). */
  async findIn(tx: Tx, id: string, lock: PollLock = 'none'): Promise<Poll | null> {
    const row = await this.byId[lock].get({ id }, tx);
    return row ? decode(row) : null;
  }

  /** The poll with this key (the name flows use), or null, held for an answer (see {@link PollLock}). */
  async findByKey(key: string, tx: Tx): Promise<Poll | null> {
    const row = await this.byKey.get({ key }, tx);
    return row ? decode(row) : null;
  }

  /** Inserts a poll; false when its key (or id) is already taken. */
  async insert(poll: Poll, tx: Tx): Promise<boolean> {
    return (await this.insertPoll.all(params(poll), tx)).length === 1;
  }

  /** Writes the editable fields of a poll. */
  async update(poll: Poll, tx: Tx): Promise<void> {
    await this.updatePoll.run(params(poll), tx);
  }

  /** Records an answer unless one is already counted; true when this one counts. */
  async addAnswer(v: Of & { answer: number; channel: string; campaignId: string | null; at: number }, tx: Tx): Promise<boolean> {
    return (await this.insertAnswer.all(v, tx)).length === 1;
  }

  /** How many answers the poll has counted. */
  async answerCount(pollId: string, tx: Tx): Promise<number> {
    return Number((await this.answers.get({ pollId }, tx))?.n ?? 0);
  }

  /** The invitation of a subscriber to a poll, or null. */
  async invite(pollId: string, subscriberId: number, tx?: Tx): Promise<PollInvite | null> {
    return (await this.inviteOf.get({ pollId, subscriberId }, tx)) ?? null;
  }

  /** Invites a subscriber to a poll inside unit `tx` (or re-invites: the invitation opens again for replies). */
  async upsertInviteIn(tx: Tx, v: InviteDraft): Promise<void> {
    await this.upsert.run(v, tx);
  }

  /** The subscriber's most recent SMS poll invitation, or null. */
  async latestSmsInviteFor(subscriberId: number, tx: Tx): Promise<PollInvite | null> {
    return (await this.latestSmsInvite.get({ subscriberId }, tx)) ?? null;
  }

  /** Marks the invitation answered (first answer time kept). */
  async setAnswered(pollId: string, subscriberId: number, at: number, tx: Tx): Promise<void> {
    await this.markAnswered.run({ at, pollId, subscriberId }, tx);
  }

  /**
   * Records that the one clarifying SMS goes out; false when the invitation was already clarified or
   * answered (by this process or another): then nothing is sent.
   */
  async claimClarification(pollId: string, subscriberId: number, at: number, tx: Tx): Promise<boolean> {
    return (await this.markClarified.all({ at, pollId, subscriberId }, tx)).length === 1;
  }
}
