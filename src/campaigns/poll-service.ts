import type { Tx, UnitOfWork } from '../db/database';
import type { Clock } from '../lib/clock';
import { iso } from '../lib/clock';
import { badRequest, conflict, notFound } from '../lib/errors';
import { newId } from '../lib/ids';
import type { Logger } from '../lib/logger';
import type { UsageChannel, UsageLog } from '../usage/usage-log';
import type { Poll, PollRepo } from './poll-repo';
import { normalizeReply } from './poll-text';
import { assertLocalized } from './localized';

/** What a content team sends to create a poll (docs/contract.md shape plus `key` and `keywords`). */
export interface PollInput {
  type: 'choice' | 'nps';
  question: Record<string, string>;
  answers?: Record<string, string>[];
  /** The name flows use in a poll node; default: the poll id. */
  key?: string;
  /** Extra reply words per answer, e.g. [["YES", "NDIO"], ["NO", "HAPANA"]]. */
  keywords?: string[][];
}

export interface PollPatch {
  question?: Record<string, string>;
  answers?: Record<string, string>[];
  keywords?: string[][];
  status?: 'open' | 'closed';
}

/** Where an answer came from. */
export interface AnswerSource {
  channel: 'sms' | 'ussd' | 'ivr';
  at: number;
  campaignId?: string | null;
  /** Write the `poll_answer` usage event here (SMS); sessions write their own for USSD and IVR. */
  usage?: { flowId?: string | null; nodeId?: string | null; sessionId?: string | null; reply?: string };
}

const KEY_RE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
/** Answers are chosen with one key (USSD, IVR DTMF, an SMS digit), hence at most nine. */
const MAX_ANSWERS = 9;

/** More a caller writes in the same unit as a poll change (a console page's audit entry). */
export type PollWithin = (tx: Tx, poll: Poll) => Promise<void>;

/**
 * Polls: a question with answers per language, or NPS 0-10. One answer per subscriber per poll, and
 * the rule is: the FIRST answer counts. A later answer (any channel) is acknowledged but not counted,
 * so that results never shift under a content team's feet and a subscriber cannot vote twice.
 * Changes are units of work; an answer is written in its caller's unit (the MO's, the session hop's).
 */
export class PollService {
  private readonly log: Logger;

  constructor(
    private readonly d: {
      repo: PollRepo;
      units: UnitOfWork;
      clock: Clock;
      log: Logger;
      usage: Pick<UsageLog, 'recordIn'>;
      /** Words that must keep reaching their own handlers (STOP, START, HELP): never poll keywords. */
      reservedWords: () => Set<string>;
    },
  ) {
    this.log = d.log.child({ comp: 'polls' });
  }

  /**
   * Creates a poll after checking that every answer has every language of the question, in a unit of
   * its own with whatever `within` writes; resolves once durable.
   */
  async create(input: PollInput, within?: PollWithin): Promise<Poll> {
    const now = this.d.clock.now();
    const id = newId('pol', now);
    const key = input.key ?? id;
    if (!KEY_RE.test(key)) throw badRequest('INVALID_POLL_KEY', `key "${key.slice(0, 70)}" must be 1-64 letters, digits, _ . : or - (it is what flows name in a poll node).`);
    const answers = input.answers ?? [];
    this.checkContent(input.type, input.question, answers);
    const poll: Poll = {
      id,
      key,
      type: input.type,
      question: input.question,
      answers,
      keywords: this.checkKeywords(input.keywords ?? [], answers.length),
      status: 'open',
      flowId: null,
      nodeId: null,
      createdAt: now,
      updatedAt: now,
    };
    await this.d.units.unit(async (tx) => {
      // The insert decides on the key, so two processes creating the same key at once make one poll.
      if (!(await this.d.repo.insert(poll, tx))) throw conflict('POLL_KEY_TAKEN', `A poll with key "${key}" already exists.`);
      await within?.(tx, poll);
    });
    return poll;
  }

  /**
   * Changes texts, keywords or status; answers can change only while nobody has answered. A unit of its
   * own with whatever `within` writes; on PostgreSQL the poll's row is held from the read to the write,
   * so answers being recorded meanwhile are counted before the check (they hold it shared).
   */
  async update(id: string, patch: PollPatch, within?: PollWithin): Promise<Poll> {
    return this.d.units.unit(async (tx) => {
      const poll = await this.d.repo.findIn(tx, id, 'update');
      if (!poll) throw notFound('POLL_NOT_FOUND', `No poll with id ${id}.`);
      const next: Poll = { ...poll, updatedAt: this.d.clock.now() };
      if (patch.question) next.question = patch.question;
      if (patch.answers) {
        // Wording may be corrected later; the number of answers may not, or counted indexes would shift.
        if (patch.answers.length !== poll.answers.length && (await this.d.repo.answerCount(id, tx)) > 0) {
          throw conflict('POLL_HAS_ANSWERS', 'The poll already has answers, so the number of answers cannot change (results would no longer add up); create a new poll.');
        }
        next.answers = patch.answers;
      }
      if (patch.keywords) next.keywords = this.checkKeywords(patch.keywords, next.answers.length);
      if (patch.status) next.status = patch.status;
      this.checkContent(next.type, next.question, next.answers);
      await this.d.repo.update(next, tx);
      await within?.(tx, next);
      return next;
    });
  }

  /**
   * The poll behind a flow's poll node: the poll whose key is the node's `poll`, created from the node
   * on first use, so USSD and IVR answers land in the same results as SMS ones. Inside the hop's unit
   * `tx`; two processes creating it at once make one poll (the insert decides, the loser reads it).
   */
  async forFlowNode(tx: Tx, key: string, flowId: string, node: { id: string; text: Record<string, string>; answers: Record<string, string>[] }): Promise<Poll> {
    const found = (await this.d.repo.findByKey(key, tx)) ?? (await this.d.repo.findIn(tx, key, 'share'));
    if (found) return found;
    const now = this.d.clock.now();
    const poll: Poll = {
      id: newId('pol', now),
      key,
      type: 'choice',
      question: node.text,
      answers: node.answers,
      keywords: [],
      status: 'open',
      flowId,
      nodeId: node.id,
      createdAt: now,
      updatedAt: now,
    };
    if (!(await this.d.repo.insert(poll, tx))) {
      const other = await this.d.repo.findByKey(key, tx);
      if (!other) throw conflict('POLL_KEY_TAKEN', `The poll id or key "${key}" of flow ${flowId} is taken by another poll.`);
      return other;
    }
    this.log.info({ pollId: poll.id, key, flowId, nodeId: node.id }, 'poll created from a flow poll node');
    return poll;
  }

  /**
   * Records an answer under the first-answer rule, inside unit `tx` with whatever else the answer
   * changes (the session hop, the reply SMS); resolves whether it counted. The insert decides, so the
   * same answer arriving on two processes counts once. `poll` is read in the same unit (held shared on
   * PostgreSQL, see PollRepo.findIn), so its status is the one an edit left.
   */
  async recordAnswer(tx: Tx, poll: Poll, subscriberId: number, answer: number, src: AnswerSource): Promise<{ counted: boolean; reason?: 'already_answered' | 'closed' | 'out_of_range' }> {
    const max = poll.type === 'nps' ? 10 : poll.answers.length - 1;
    let result: { counted: boolean; reason?: 'already_answered' | 'closed' | 'out_of_range' };
    if (answer < 0 || answer > max || !Number.isInteger(answer)) result = { counted: false, reason: 'out_of_range' };
    else if (poll.status === 'closed') result = { counted: false, reason: 'closed' };
    else {
      const campaignId = src.campaignId ?? (await this.d.repo.invite(poll.id, subscriberId, tx))?.campaignId ?? null;
      const counted = await this.d.repo.addAnswer({ pollId: poll.id, subscriberId, answer, channel: src.channel, campaignId, at: src.at }, tx);
      result = counted ? { counted } : { counted, reason: 'already_answered' };
    }
    if (result.counted || result.reason === 'already_answered') await this.d.repo.setAnswered(poll.id, subscriberId, src.at, tx);
    if (src.usage) {
      await this.d.usage.recordIn(tx, [
        {
          at: src.at,
          subscriberId,
          channel: src.channel as UsageChannel,
          type: 'poll_answer',
          sessionId: src.usage.sessionId ?? null,
          flowId: src.usage.flowId ?? null,
          nodeId: src.usage.nodeId ?? null,
          detail: { pollId: poll.id, poll: poll.key, answer, counted: result.counted, ...(result.reason ? { reason: result.reason } : {}), ...(src.usage.reply !== undefined ? { reply: src.usage.reply } : {}) },
        },
      ]);
    }
    return result;
  }

  /** The public JSON shape of a poll. */
  toJson(p: Poll): Record<string, unknown> {
    return {
      id: p.id,
      key: p.key,
      type: p.type,
      question: p.question,
      ...(p.type === 'choice' ? { answers: p.answers, keywords: p.keywords } : {}),
      status: p.status,
      ...(p.flowId ? { flowId: p.flowId, nodeId: p.nodeId } : {}),
      createdAt: iso(p.createdAt),
      updatedAt: iso(p.updatedAt),
    };
  }

  private checkContent(type: Poll['type'], question: Record<string, string>, answers: Record<string, string>[]): void {
    assertLocalized(question, 'question');
    answers.forEach((a, i) => assertLocalized(a, `answers[${i}]`));
    const langs = Object.keys(question);
    if (type === 'nps') {
      if (answers.length > 0) throw badRequest('INVALID_POLL', 'An nps poll has no answers: subscribers reply with a score from 0 to 10.');
      return;
    }
    if (answers.length < 2 || answers.length > MAX_ANSWERS) {
      throw badRequest('INVALID_POLL', `A choice poll needs 2 to ${MAX_ANSWERS} answers (one key each); got ${answers.length}.`);
    }
    answers.forEach((a, i) => {
      const missing = langs.filter((l) => !a[l]);
      if (missing.length > 0) throw badRequest('INVALID_POLL', `answers[${i}] has no text for ${missing.join(', ')} (the question has ${langs.join(', ')}).`);
    });
  }

  private checkKeywords(keywords: string[][], answerCount: number): string[][] {
    if (keywords.length > answerCount) throw badRequest('INVALID_POLL', `keywords has ${keywords.length} lists but the poll has ${answerCount} answers.`);
    const seen = new Map<string, number>();
    const reserved = this.d.reservedWords();
    return keywords.map((words, i) =>
      words.map((w) => {
        const k = normalizeReply(w);
        if (!k || /^\d+$/.test(k)) throw badRequest('INVALID_POLL', `keywords[${i}] "${w.slice(0, 30)}" must contain letters (numbers already choose answers).`);
        if (reserved.has(k)) throw badRequest('INVALID_POLL', `keywords[${i}] "${k}" is reserved (opt-out, opt-in or help keyword) and must keep working.`);
        const other = seen.get(k);
        if (other !== undefined && other !== i) throw badRequest('INVALID_POLL', `keyword "${k}" is given for answers ${other} and ${i}.`);
        seen.set(k, i);
        return k;
      }),
    );
  }
}
