import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/client';

/** A poll as the gateway uses it. */
export interface Poll {
  id: string;
  key: string;
  type: 'choice' | 'nps';
  question: Record<string, string>;
  answers: Record<string, string>[];
  keywords: string[][];
  status: 'open' | 'closed';
  flowId: string | null;
  nodeId: string | null;
  createdAt: number;
  updatedAt: number;
}

/** An open or answered invitation of one subscriber to one poll. */
export interface PollInvite {
  pollId: string;
  subscriberId: number;
  channel: 'sms' | 'call';
  campaignId: string | null;
  sentAt: number;
  expiresAt: number;
  clarifiedAt: number | null;
  answeredAt: number | null;
}

interface PollRow {
  id: string;
  key: string;
  type: 'choice' | 'nps';
  question: string;
  answers: string;
  keywords: string;
  status: 'open' | 'closed';
  flow_id: string | null;
  node_id: string | null;
  created_at: number;
  updated_at: number;
}

interface InviteRow {
  poll_id: string;
  subscriber_id: number;
  channel: 'sms' | 'call';
  campaign_id: string | null;
  sent_at: number;
  expires_at: number;
  clarified_at: number | null;
  answered_at: number | null;
}

const fromRow = (r: PollRow): Poll => ({
  id: r.id,
  key: r.key,
  type: r.type,
  question: JSON.parse(r.question) as Record<string, string>,
  answers: JSON.parse(r.answers) as Record<string, string>[],
  keywords: JSON.parse(r.keywords) as string[][],
  status: r.status,
  flowId: r.flow_id,
  nodeId: r.node_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const inviteFromRow = (r: InviteRow): PollInvite => ({
  pollId: r.poll_id,
  subscriberId: r.subscriber_id,
  channel: r.channel,
  campaignId: r.campaign_id,
  sentAt: r.sent_at,
  expiresAt: r.expires_at,
  clarifiedAt: r.clarified_at,
  answeredAt: r.answered_at,
});

/** Data access for polls, their answers and invitations (prepared statements: MO replies are a hot path). */
export class PollRepo {
  private readonly byId: Statement<[string], PollRow>;
  private readonly byKey: Statement<[string], PollRow>;
  private readonly insertAnswer: Statement<[string, number, number, string, string | null, number]>;
  private readonly answerOf: Statement<[string, number], { answer: number; at: number }>;
  private readonly inviteOf: Statement<[string, number], InviteRow>;
  private readonly latestSmsInvite: Statement<[number], InviteRow>;
  private readonly markAnswered: Statement<[number, string, number]>;
  private readonly markClarified: Statement<[number, string, number]>;
  readonly upsertInvite: Statement<[string, number, string, string | null, number, number]>;

  constructor(private readonly db: Db) {
    const c = db.$client;
    this.byId = c.prepare('SELECT * FROM polls WHERE id = ?');
    this.byKey = c.prepare('SELECT * FROM polls WHERE key = ?');
    this.insertAnswer = c.prepare('INSERT OR IGNORE INTO poll_answers (poll_id, subscriber_id, answer, channel, campaign_id, at) VALUES (?, ?, ?, ?, ?, ?)');
    this.answerOf = c.prepare('SELECT answer, at FROM poll_answers WHERE poll_id = ? AND subscriber_id = ?');
    this.inviteOf = c.prepare('SELECT * FROM poll_invites WHERE poll_id = ? AND subscriber_id = ?');
    this.latestSmsInvite = c.prepare("SELECT * FROM poll_invites WHERE subscriber_id = ? AND channel = 'sms' ORDER BY sent_at DESC LIMIT 1");
    this.markAnswered = c.prepare('UPDATE poll_invites SET answered_at = coalesce(answered_at, ?) WHERE poll_id = ? AND subscriber_id = ?');
    this.markClarified = c.prepare('UPDATE poll_invites SET clarified_at = ? WHERE poll_id = ? AND subscriber_id = ?');
    // A new invitation to the same poll re-opens it for replies (and for one more clarification).
    this.upsertInvite = c.prepare(
      `INSERT INTO poll_invites (poll_id, subscriber_id, channel, campaign_id, sent_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (poll_id, subscriber_id) DO UPDATE SET channel = excluded.channel, campaign_id = excluded.campaign_id,
         sent_at = excluded.sent_at, expires_at = excluded.expires_at, clarified_at = NULL`,
    );
  }

  /** The poll with this id, or null. */
  find(id: string): Poll | null {
    const r = this.byId.get(id);
    return r ? fromRow(r) : null;
  }

  /** The poll with this key (the name flows use), or null. */
  findByKey(key: string): Poll | null {
    const r = this.byKey.get(key);
    return r ? fromRow(r) : null;
  }

  /** Every poll, newest first. */
  list(limit: number): Poll[] {
    return this.db.$client.prepare<[number], PollRow>('SELECT * FROM polls ORDER BY created_at DESC, id DESC LIMIT ?').all(limit).map(fromRow);
  }

  /** Inserts a poll. */
  insert(p: Poll): void {
    this.db.$client
      .prepare(
        'INSERT INTO polls (id, key, type, question, answers, keywords, status, flow_id, node_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(p.id, p.key, p.type, JSON.stringify(p.question), JSON.stringify(p.answers), JSON.stringify(p.keywords), p.status, p.flowId, p.nodeId, p.createdAt, p.updatedAt);
  }

  /** Writes the editable fields of a poll. */
  update(p: Poll): void {
    this.db.$client
      .prepare('UPDATE polls SET question = ?, answers = ?, keywords = ?, status = ?, updated_at = ? WHERE id = ?')
      .run(JSON.stringify(p.question), JSON.stringify(p.answers), JSON.stringify(p.keywords), p.status, p.updatedAt, p.id);
  }

  /** Records an answer unless one is already counted; true when this one counts. */
  addAnswer(pollId: string, subscriberId: number, answer: number, channel: string, campaignId: string | null, at: number): boolean {
    return this.insertAnswer.run(pollId, subscriberId, answer, channel, campaignId, at).changes === 1;
  }

  /** The counted answer of a subscriber, or null. */
  answerFor(pollId: string, subscriberId: number): { answer: number; at: number } | null {
    return this.answerOf.get(pollId, subscriberId) ?? null;
  }

  /** How many answers the poll has counted. */
  answerCount(pollId: string): number {
    return (this.db.$client.prepare<[string], { n: number }>('SELECT count(*) AS n FROM poll_answers WHERE poll_id = ?').get(pollId)?.n ?? 0);
  }

  /** The invitation of a subscriber to a poll, or null. */
  invite(pollId: string, subscriberId: number): PollInvite | null {
    const r = this.inviteOf.get(pollId, subscriberId);
    return r ? inviteFromRow(r) : null;
  }

  /** The subscriber's most recent SMS poll invitation, or null. */
  latestSmsInviteFor(subscriberId: number): PollInvite | null {
    const r = this.latestSmsInvite.get(subscriberId);
    return r ? inviteFromRow(r) : null;
  }

  /** Marks the invitation answered (first answer time kept). */
  setAnswered(pollId: string, subscriberId: number, at: number): void {
    this.markAnswered.run(at, pollId, subscriberId);
  }

  /** Records that the one clarifying SMS went out. */
  setClarified(pollId: string, subscriberId: number, at: number): void {
    this.markClarified.run(at, pollId, subscriberId);
  }
}
