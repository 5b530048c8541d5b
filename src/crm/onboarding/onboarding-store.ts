import { sql } from 'drizzle-orm';
import { BatchInsert } from '../../db/batch-insert';
import type { Db } from '../../db/client';
import { crmOnboarding, crmOnboardingContent, crmSubscribers, subscriptions } from '../../db/schema';
import { name, prepare, type Prepared } from '../../db/statement';

const o = crmOnboarding;
const oc = crmOnboardingContent;
const p = (k: string) => sql.placeholder(k);
/** Candidates from which firstSubscriptionsOf scans the subscriptions instead of looking each one up. */
const FIRST_SUB_SCAN_FROM = 4096;

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

/** The onboarding journey's tables: who is new, their arm, their first episode after the welcome, retention; and the shortcut ranking's counts. */
export class OnboardingStore {
  private readonly firstSub: Prepared<{ at: number | null }, { sub: number }>;
  private readonly createdAll: Prepared<[number, number]>;
  private readonly ins: Prepared<never, OnboardingRow>;
  private readonly assign: Prepared<never, { sub: number; arm: string; welcomeId: string; at: number }>;
  private readonly waitingStmt: Prepared<{ sub: number; at: number }, { since: number }>;
  private readonly episode: Prepared<never, { sub: number; at: number; firstGo: number }>;
  private readonly one: Prepared<{ joinedAt: number; assignedAt: number | null; arm: string | null }, { sub: number }>;
  private readonly close: Prepared<never, { now: number; cutoff: number; sinceDays: number }>;
  private readonly reaches: Prepared<ContentReaches, { fromDay: number }>;
  private readonly content: BatchInsert;

  constructor(db: Db) {
    this.firstSub = prepare(db, sql`SELECT min(${subscriptions.createdAt}) AS at FROM ${subscriptions} WHERE ${subscriptions.subscriberId} = ${p('sub')}`);
    this.createdAll = prepare(db, sql`SELECT ${subscriptions.subscriberId}, ${subscriptions.createdAt} FROM ${subscriptions}`);
    this.createdAll.statement.raw();
    this.ins = prepare(
      db,
      sql`INSERT OR IGNORE INTO ${o} (${name(o.subscriberId)}, ${name(o.joinedAt)}, ${name(o.joinDay)}, ${name(o.via)}, ${name(o.region)}, ${name(o.crop)}, ${name(o.findingId)})
          VALUES (${p('subscriberId')}, ${p('joinedAt')}, ${p('joinDay')}, ${p('via')}, ${p('region')}, ${p('crop')}, ${p('findingId')})`,
    );
    this.assign = prepare(db, sql`UPDATE ${o} SET ${name(o.arm)} = ${p('arm')}, ${name(o.welcomeId)} = ${p('welcomeId')}, ${name(o.assignedAt)} = ${p('at')} WHERE ${o.subscriberId} = ${p('sub')} AND ${o.arm} IS NULL`);
    this.waitingStmt = prepare(db, sql`SELECT ${o.subscriberId} AS sub, ${o.assignedAt} AS at FROM ${o} WHERE ${o.retained} IS NULL AND ${o.joinedAt} >= ${p('since')} AND ${o.arm} IS NOT NULL AND ${o.episodeAt} IS NULL`);
    this.episode = prepare(db, sql`UPDATE ${o} SET ${name(o.episodeAt)} = ${p('at')}, ${name(o.firstGo)} = ${p('firstGo')} WHERE ${o.subscriberId} = ${p('sub')} AND ${o.episodeAt} IS NULL`);
    this.one = prepare(db, sql`SELECT ${o.joinedAt} AS joinedAt, ${o.assignedAt} AS assignedAt, ${o.arm} AS arm FROM ${o} WHERE ${o.subscriberId} = ${p('sub')}`);
    // Retained: a live subscription when the window closes, or activity in its last `sinceDays` days (or later).
    const live = sql`EXISTS (SELECT 1 FROM ${subscriptions} WHERE ${subscriptions.subscriberId} = ${o.subscriberId} AND ${subscriptions.state} IN ('active', 'grace'))`;
    const lastDay = sql`(SELECT ${crmSubscribers.lastDay} FROM ${crmSubscribers} WHERE ${crmSubscribers.subscriberId} = ${o.subscriberId})`;
    this.close = prepare(
      db,
      sql`UPDATE ${o} SET ${name(o.retained)} = CASE WHEN ${live} OR coalesce(${lastDay}, -2147483648) >= ${o.joinDay} + ${p('sinceDays')} THEN 1 ELSE 0 END, ${name(o.retentionClosedAt)} = ${p('now')}
          WHERE ${o.retained} IS NULL AND ${o.joinedAt} <= ${p('cutoff')}`,
    );
    this.reaches = prepare(
      db,
      sql`SELECT ${oc.region} AS region, ${oc.crop} AS crop, ${oc.flowId} AS flowId, ${oc.nodeId} AS nodeId, sum(${oc.firstGo}) AS n FROM ${oc} WHERE ${oc.day} >= ${p('fromDay')} GROUP BY 1, 2, 3, 4`,
    );
    const cols = [oc.day, oc.region, oc.crop, oc.flowId, oc.nodeId, oc.firstGo];
    this.content = new BatchInsert(db, sql`INSERT INTO ${oc} (${sql.join(cols.map((c) => name(c)), sql`, `)}) VALUES`, cols.length, sql`ON CONFLICT(${name(oc.day)}, ${name(oc.region)}, ${name(oc.crop)}, ${name(oc.flowId)}, ${name(oc.nodeId)}) DO UPDATE SET ${name(oc.firstGo)} = ${oc.firstGo} + excluded.${name(oc.firstGo)}`);
  }

  /** When the subscriber's first subscription row was created, or null without one. */
  firstSubscriptionAt(sub: number): number | null {
    return this.firstSub.get({ sub })?.at ?? null;
  }

  /**
   * firstSubscriptionAt of many subscribers at once: subscribers without a subscription are absent. Above
   * a few thousand, one scan of the subscriptions costs less than a lookup each (a full pass has one
   * candidate per new subscriber).
   */
  firstSubscriptionsOf(subs: ReadonlySet<number> | ReadonlyMap<number, unknown>): Map<number, number> {
    const out = new Map<number, number>();
    if (subs.size < FIRST_SUB_SCAN_FROM) {
      for (const sub of subs.keys()) {
        const at = this.firstSubscriptionAt(sub);
        if (at !== null) out.set(sub, at);
      }
      return out;
    }
    for (const [sub, at] of this.createdAll.iterate()) {
      if (!subs.has(sub)) continue;
      const prev = out.get(sub);
      if (prev === undefined || at < prev) out.set(sub, at);
    }
    return out;
  }

  /** Records a new subscriber (once: a second call for them changes nothing). */
  insert(row: OnboardingRow): void {
    this.ins.run(row);
  }

  /** Records the welcome's decision: the arm, the intervention, when. */
  assigned(sub: number, arm: string, welcomeId: string, at: number): void {
    this.assign.run({ sub, arm, welcomeId, at });
  }

  /** Assigned new subscribers who joined since `since` and have had no episode since: subscriber to decision time. */
  waiting(since: number): Map<number, number> {
    const m = new Map<number, number>();
    for (const r of this.waitingStmt.all({ since })) m.set(r.sub, r.at);
    return m;
  }

  /** Records their first episode after the decision. */
  setEpisode(sub: number, at: number, firstGo: boolean): void {
    this.episode.run({ sub, at, firstGo: firstGo ? 1 : 0 });
  }

  /** A new subscriber's join and decision, or undefined for someone onboarding does not follow. */
  get(sub: number): { joinedAt: number; assignedAt: number | null; arm: string | null } | undefined {
    return this.one.get({ sub });
  }

  /** Closes the retention windows that ended by `cutoff` (joined then or before); returns how many. */
  closeRetention(now: number, cutoff: number, sinceDays: number): number {
    return this.close.run({ now, cutoff, sinceDays });
  }

  /** First-go reaches per region, crop and node since `fromDay`. */
  contentReaches(fromDay: number): ContentReaches[] {
    return this.reaches.all({ fromDay });
  }

  /** Adds first-go reaches (call inside a transaction). */
  addReaches(rows: Iterable<[number, string, string, string, string, number]>): void {
    for (const r of rows) this.content.add(r);
    this.content.flush();
  }
}
