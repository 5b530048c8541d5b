import { sql } from 'drizzle-orm';
import type { Database, Statement } from '../db/database';
import { json } from '../db/portable';
import { selectList } from '../db/select-list';
import { polls } from '../db/schema';
import { notFound } from '../lib/errors';
import type { Poll } from './poll-repo';

const p = sql.placeholder;

/** The polls row as a raw statement returns it: its JSON columns still encoded (text on SQLite). */
type PollRow = Omit<Poll, 'question' | 'answers' | 'keywords'> & { question: unknown; answers: unknown; keywords: unknown };

const decode = (x: PollRow): Poll => ({ ...x, question: json<Poll['question']>(x.question), answers: json<Poll['answers']>(x.answers), keywords: json<Poll['keywords']>(x.keywords) });

/**
 * What the poll pages and GET endpoints read, on either engine. Only for paths that read and answer:
 * answers and edits decide on reads inside their unit of work (src/campaigns/poll-repo.ts).
 */
export class PollReadStore {
  private readonly byId: Statement<PollRow, { id: string }>;
  private readonly newest: Statement<PollRow, { limit: number }>;

  constructor(db: Database) {
    this.byId = db.statement(sql`SELECT ${selectList(polls)} FROM ${polls} WHERE ${polls.id} = ${p('id')}`);
    this.newest = db.statement(sql`SELECT ${selectList(polls)} FROM ${polls} ORDER BY ${polls.createdAt} DESC, ${polls.id} DESC LIMIT ${p('limit')}`);
  }

  /** The poll or null. */
  async find(id: string): Promise<Poll | null> {
    const row = await this.byId.get({ id });
    return row ? decode(row) : null;
  }

  /** The poll; 404 otherwise (as PollService.require). */
  async require(id: string): Promise<Poll> {
    const poll = await this.find(id);
    if (!poll) throw notFound('POLL_NOT_FOUND', `No poll with id ${id}.`);
    return poll;
  }

  /** Polls, newest first (ties by id, newest first). */
  async list(limit: number): Promise<Poll[]> {
    return (await this.newest.all({ limit })).map(decode);
  }
}
