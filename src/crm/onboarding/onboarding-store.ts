import { sql } from 'drizzle-orm';
import { BatchWriter } from '../../db/batch-writer';
import type { Database, Statement, Tx } from '../../db/database';
import { jsonArrayIds } from '../../db/portable';
import { crmOnboarding, crmOnboardingContent, crmSubscribers, subscriptions } from '../../db/schema';
import { name } from '../../db/statement';
import { writeRows } from '../batch-rows';

const o = crmOnboarding;
const oc = crmOnboardingContent;
const p = (k: string) => sql.placeholder(k);
/** Subscribers whose first subscription one query reads. */
const FIRST_SUB_CHUNK = 1000;

/** A new subscriber as onboarding records them when found. */
export type OnboardingRow = {
  subscriberId: number;
  joinedAt: number;
  joinDay: number;
  via: 'session' | 'subscription';
  region: string | null;
  crop: string | null;
  findingId: string;
};

/** First-go reaches of one node by one region and crop group over the ranking window. */
export interface ContentReaches {
  region: string;
  crop: string;
  flowId: string;
  nodeId: string;
  n: number;
}

/**
 * The onboarding journey's tables, on either engine: who is new, their arm, their first episode after the
 * welcome, retention; and the shortcut ranking's counts. Writes take the pass's (or the act batch's) unit.
 */
export class OnboardingStore {
  private readonly firstSubs: Statement<[number, number], { ids: string }>;
  private readonly ins: Statement<never, OnboardingRow>;
  private readonly assign: Statement<never, { sub: number; arm: string; welcomeId: string; at: number }>;
  private readonly waitingStmt: Statement<{ sub: number; at: number }, { since: number }>;
  private readonly episode: Statement<never, { sub: number; at: number; firstGo: number }>;
  private readonly one: Statement<{ joinedAt: number; assignedAt: number | null; arm: string | null }, { sub: number }>;
  private readonly close: Statement<never, { now: number; cutoff: number; sinceDays: number }>;
  private readonly reaches: Statement<ContentReaches, { fromDay: number }>;
  private readonly content: BatchWriter;

  constructor(database: Database) {
    const s = subscriptions;
    this.firstSubs = database.statement(
      sql`SELECT ${s.subscriberId}, min(${s.createdAt}) FROM ${s} WHERE ${s.subscriberId} IN ${jsonArrayIds(database.dialect, p('ids'))} GROUP BY ${s.subscriberId}`,
      { raw: true },
    );
    this.ins = database.statement(
      sql`INSERT INTO ${o} (${name(o.subscriberId)}, ${name(o.joinedAt)}, ${name(o.joinDay)}, ${name(o.via)}, ${name(o.region)}, ${name(o.crop)}, ${name(o.findingId)})
          VALUES (${p('subscriberId')}, ${p('joinedAt')}, ${p('joinDay')}, ${p('via')}, ${p('region')}, ${p('crop')}, ${p('findingId')})
          ON CONFLICT DO NOTHING`,
    );
    this.assign = database.statement(sql`UPDATE ${o} SET ${name(o.arm)} = ${p('arm')}, ${name(o.welcomeId)} = ${p('welcomeId')}, ${name(o.assignedAt)} = ${p('at')} WHERE ${o.subscriberId} = ${p('sub')} AND ${o.arm} IS NULL`);
    this.waitingStmt = database.statement(
      sql`SELECT ${o.subscriberId} AS "sub", ${o.assignedAt} AS "at" FROM ${o} WHERE ${o.retained} IS NULL AND ${o.joinedAt} >= ${p('since')} AND ${o.arm} IS NOT NULL AND ${o.episodeAt} IS NULL`,
    );
    this.episode = database.statement(sql`UPDATE ${o} SET ${name(o.episodeAt)} = ${p('at')}, ${name(o.firstGo)} = ${p('firstGo')} WHERE ${o.subscriberId} = ${p('sub')} AND ${o.episodeAt} IS NULL`);
    this.one = database.statement(sql`SELECT ${o.joinedAt} AS "joinedAt", ${o.assignedAt} AS "assignedAt", ${o.arm} AS "arm" FROM ${o} WHERE ${o.subscriberId} = ${p('sub')}`);
    // Retained: a live subscription when the window closes, or activity in its last `sinceDays` days (or later).
    const live = sql`EXISTS (SELECT 1 FROM ${s} WHERE ${s.subscriberId} = ${o.subscriberId} AND ${s.state} IN ('active', 'grace'))`;
    const lastDay = sql`(SELECT ${crmSubscribers.lastDay} FROM ${crmSubscribers} WHERE ${crmSubscribers.subscriberId} = ${o.subscriberId})`;
    this.close = database.statement(
      sql`UPDATE ${o} SET ${name(o.retained)} = CASE WHEN ${live} OR coalesce(${lastDay}, -2147483648) >= ${o.joinDay} + ${p('sinceDays')} THEN 1 ELSE 0 END, ${name(o.retentionClosedAt)} = ${p('now')}
          WHERE ${o.retained} IS NULL AND ${o.joinedAt} <= ${p('cutoff')}`,
    );
    this.reaches = database.statement(
      sql`SELECT ${oc.region} AS "region", ${oc.crop} AS "crop", ${oc.flowId} AS "flowId", ${oc.nodeId} AS "nodeId", sum(${oc.firstGo}) AS "n" FROM ${oc} WHERE ${oc.day} >= ${p('fromDay')} GROUP BY 1, 2, 3, 4`,
    );
    const cols = [oc.day, oc.region, oc.crop, oc.flowId, oc.nodeId, oc.firstGo];
    this.content = new BatchWriter(
      database,
      sql`INSERT INTO ${oc} (${sql.join(cols.map((c) => name(c)), sql`, `)}) VALUES`,
      cols.length,
      sql`ON CONFLICT(${name(oc.day)}, ${name(oc.region)}, ${name(oc.crop)}, ${name(oc.flowId)}, ${name(oc.nodeId)}) DO UPDATE SET ${name(oc.firstGo)} = ${oc.firstGo} + excluded.${name(oc.firstGo)}`,
    );
  }

  /** When the subscriber's first subscription row was created, or null without one. */
  async firstSubscriptionAt(sub: number, tx?: Tx): Promise<number | null> {
    return (await this.firstSubscriptionsOf(new Set([sub]), tx)).get(sub) ?? null;
  }

  /**
   * firstSubscriptionAt of many subscribers at once, a thousand per query (a full pass has one candidate
   * per new subscriber): subscribers without a subscription are absent.
   */
  async firstSubscriptionsOf(subs: ReadonlySet<number> | ReadonlyMap<number, unknown>, tx?: Tx): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    const ids = [...subs.keys()];
    for (let i = 0; i < ids.length; i += FIRST_SUB_CHUNK) {
      for (const [sub, at] of await this.firstSubs.all({ ids: JSON.stringify(ids.slice(i, i + FIRST_SUB_CHUNK)) }, tx)) out.set(sub, at);
    }
    return out;
  }

  /** Records a new subscriber (once: a second call for them changes nothing). */
  async insert(row: OnboardingRow, tx: Tx): Promise<void> {
    await this.ins.run(row, tx);
  }

  /** Records the welcome's decision: the arm, the intervention, when. */
  async assigned(sub: number, arm: string, welcomeId: string, at: number, tx: Tx): Promise<void> {
    await this.assign.run({ sub, arm, welcomeId, at }, tx);
  }

  /** Assigned new subscribers who joined since `since` and have had no episode since: subscriber to decision time. */
  async waiting(since: number, tx?: Tx): Promise<Map<number, number>> {
    const m = new Map<number, number>();
    for (const r of await this.waitingStmt.all({ since }, tx)) m.set(r.sub, r.at);
    return m;
  }

  /** Records their first episode after the decision. */
  async setEpisode(sub: number, at: number, firstGo: boolean, tx: Tx): Promise<void> {
    await this.episode.run({ sub, at, firstGo: firstGo ? 1 : 0 }, tx);
  }

  /** A new subscriber's join and decision, or undefined for someone onboarding does not follow. */
  get(sub: number, tx?: Tx): Promise<{ joinedAt: number; assignedAt: number | null; arm: string | null } | undefined> {
    return this.one.get({ sub }, tx);
  }

  /** Closes the retention windows that ended by `cutoff` (joined then or before); returns how many. */
  closeRetention(now: number, cutoff: number, sinceDays: number, tx: Tx): Promise<number> {
    return this.close.run({ now, cutoff, sinceDays }, tx);
  }

  /** First-go reaches per region, crop and node since `fromDay`. */
  contentReaches(fromDay: number, tx?: Tx): Promise<ContentReaches[]> {
    return this.reaches.all({ fromDay }, tx);
  }

  /** Adds first-go reaches inside `tx`. */
  async addReaches(rows: Iterable<[number, string, string, string, string, number]>, tx: Tx): Promise<void> {
    await writeRows(this.content, rows, tx);
  }
}
