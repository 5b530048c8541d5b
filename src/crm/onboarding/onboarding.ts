import type { Config } from '../../config';
import type { Database, Tx } from '../../db/database';
import { DAY } from '../../lib/clock';
import type { Subscriber } from '../../subscribers/subscriber-service';
import { NONE, type ActivityStore } from '../activity-store';
import type { Days } from '../days';
import type { DetectorContext, FindingDraft } from '../detectors/types';
import type { EpisodeOutcome } from '../episodes';
import type { FlowIndex } from '../flow-index';
import { OnboardingStore } from './onboarding-store';
import { ShortcutRanking } from './shortcut-ranking';

export interface OnboardingDeps {
  database: Database;
  config: Pick<Config, 'crm'>;
  days: Days;
  index: FlowIndex;
}

/**
 * Journey 1, onboarding: finds new subscribers (first session or first subscription ever) for the welcome,
 * new subscribers stuck in their first sessions for the follow-up, ranks the shortcuts the welcome carries,
 * and follows each new subscriber's first episode after the welcome and their retention.
 */
export class Onboarding {
  readonly store: OnboardingStore;
  private ranked: { day: number; ranking: ShortcutRanking } | null = null;

  constructor(private readonly d: OnboardingDeps) {
    this.store = new OnboardingStore(d.database);
  }

  /**
   * Reads the shortcut ranking as of `now`, once per day's counts (the pass calls `refresh` when they
   * change). The pass loads it before acting, so the welcomes it writes rank synchronously.
   */
  async loadRanking(now: number, tx?: Tx): Promise<ShortcutRanking> {
    const day = this.d.days.of(now);
    if (!this.ranked || this.ranked.day !== day) {
      const cfg = this.d.config.crm.onboarding;
      const rows = await this.store.contentReaches(day - cfg.shortcutWindowDays + 1, tx);
      this.ranked = { day, ranking: new ShortcutRanking(rows, this.d.index, { max: cfg.shortcuts, minGroupReaches: cfg.minGroupReaches }) };
    }
    return this.ranked.ranking;
  }

  /** The ranking last loaded (none before the first `loadRanking`: the main menu's options stand in). */
  private ranking(): ShortcutRanking | null {
    return this.ranked?.ranking ?? null;
  }

  /** Drops the ranking so the next welcome ranks the counts a pass has just written. */
  refresh(): void {
    this.ranked = null;
  }

  /** The welcome's shortcut lines for a subscriber (`*384*1*1*1# Maize`), best first. */
  shortcutLines(sub: Pick<Subscriber, 'region' | 'crop'>, lang: string): string[] {
    const picked: { flowId: string; nodeId: string; shortcut: string }[] = [...(this.ranking()?.for(sub.region, sub.crop) ?? [])];
    // Before anyone has found anything (a new service), the main menu's own options stand in.
    const main = this.d.index.mainFlow();
    const start = main?.nodes[main.start];
    if (main && start?.type === 'menu') {
      for (const o of start.options) {
        if (picked.length >= this.d.config.crm.onboarding.shortcuts) break;
        const shortcut = this.d.index.shortcut(main.id, o.next);
        if (shortcut && !picked.some((p) => p.flowId === main.id && p.nodeId === o.next)) picked.push({ flowId: main.id, nodeId: o.next, shortcut });
      }
    }
    return picked.map((s) => `${s.shortcut} ${this.d.index.topic(s.flowId, s.nodeId, lang)}`);
  }

  /** What one pass keeps for onboarding while it reads the log: attach `tap` to the finished episodes. */
  async tracker(store: ActivityStore, now: number): Promise<OnboardingTracker> {
    const cfg = this.d.config.crm.onboarding;
    const waiting = cfg.enabled ? await this.store.waiting(now - cfg.retentionDays * DAY) : new Map<number, number>();
    return new OnboardingTracker(this, this.d, store, now, waiting);
  }
}

/** One pass's onboarding work: episode taps, detection, and the writes at the end of the pass. */
export class OnboardingTracker {
  private readonly reaches = new Map<string, number>();
  private readonly episodes: [number, number, boolean][] = [];
  private readonly joinedNow = new Map<number, number>();

  constructor(
    private readonly journey: Onboarding,
    private readonly d: OnboardingDeps,
    private readonly activity: ActivityStore,
    private readonly now: number,
    /** Assigned new subscribers still waiting for their first episode: subscriber to decision time. */
    private readonly waiting: Map<number, number>,
  ) {}

  private dim(sub: number, d: 'region' | 'crop'): string | null {
    const s = this.activity;
    if (!s.loaded(sub)) return null;
    const code = s.dims[d][sub]!;
    return code === 0 ? null : s.dimValues[code]!;
  }

  /** A finished episode: first-go reaches for the ranking, and a new subscriber's first episode after the welcome. */
  readonly tap = (e: EpisodeOutcome): void => {
    if (e.firstGo && e.soughtFlow !== null && e.soughtNode !== null) {
      const k = [this.d.days.of(e.start), this.dim(e.sub, 'region') ?? '', this.dim(e.sub, 'crop') ?? '', e.soughtFlow, e.soughtNode].join('\t');
      this.reaches.set(k, (this.reaches.get(k) ?? 0) + 1);
    }
    const at = this.waiting.get(e.sub);
    if (at !== undefined && e.start >= at) {
      this.episodes.push([e.sub, e.start, e.firstGo]);
      this.waiting.delete(e.sub);
    }
  };

  /** New subscribers (welcome) and new subscribers stuck in their first sessions (follow-up). */
  async detect(ctx: DetectorContext): Promise<FindingDraft[]> {
    const cfg = ctx.config.crm.onboarding;
    if (!cfg.enabled) return [];
    const store = this.journey.store;
    const since = ctx.now - cfg.newWithinDays * DAY;
    const out: FindingDraft[] = [];
    const cands = new Map<number, { at: number; via: 'session' | 'subscription' }>();
    for (const [sub, at] of ctx.delta.firstSessions) if (at >= since) cands.set(sub, { at, via: 'session' });
    for (const [sub, at] of ctx.delta.subscribed) {
      const c = cands.get(sub);
      if (at >= since && (!c || at < c.at)) cands.set(sub, { at, via: 'subscription' });
    }
    const firstSubs = await store.firstSubscriptionsOf(cands);
    for (const [sub, c] of cands) {
      let { at: joinedAt, via } = c;
      // Someone who subscribed long ago and only now opens the menu is not new: they joined then.
      const subAt = firstSubs.get(sub);
      if (subAt !== undefined && subAt < joinedAt) {
        joinedAt = subAt;
        via = 'subscription';
      }
      if (joinedAt < since) continue;
      const firstDay = ctx.store.firstDay[sub]!;
      if (firstDay !== NONE && firstDay < ctx.days.of(joinedAt)) continue;
      this.joinedNow.set(sub, joinedAt);
      out.push({
        subscriberId: sub,
        kind: 'new_subscriber',
        reason: via === 'session' ? 'first_session' : 'first_subscription',
        serviceId: null,
        dedupeKey: `new_subscriber:${sub}`,
        detail: { joinedAt, via, region: this.dim(sub, 'region'), crop: this.dim(sub, 'crop') },
      });
    }
    for (const sub of ctx.delta.earlyStuckSubs) {
      const joinedAt = this.joinedNow.get(sub) ?? (await store.get(sub))?.joinedAt;
      if (joinedAt === undefined) continue;
      const stuck = (ctx.store.stuckRecent.get(sub) ?? []).filter((e) => e[0] >= joinedAt && e[0] <= joinedAt + cfg.stuckWithinDays * DAY);
      if (stuck.length === 0) continue;
      // What they were after: the latest stuck session that named a menu.
      const sought = [...stuck].reverse().find((e) => e[3] !== null) ?? stuck[stuck.length - 1]!;
      const [, channel, flowId, nodeId] = sought;
      out.push({
        subscriberId: sub,
        kind: 'first_sessions_stuck',
        reason: 'stuck_early',
        serviceId: null,
        dedupeKey: `first_sessions_stuck:${sub}`,
        detail: { flowId, nodeId, shortcut: (nodeId ? ctx.flows.shortcut(flowId, nodeId) : null) ?? ctx.flows.code(flowId), channel, stuckSessions: stuck.length, sessions: ctx.store.sessions[sub], joinedAt },
      });
    }
    return out;
  }

  /**
   * A finding just stored: a new subscriber is followed from now on; a follow-up waits until
   * `followupAfterHours` after the welcome. Returns when the finding may be acted on, when later than now.
   */
  async stored(dr: FindingDraft, findingId: string, tx: Tx): Promise<number | null> {
    const cfg = this.d.config.crm.onboarding;
    if (dr.kind === 'new_subscriber') {
      const detail = dr.detail as { joinedAt: number; via: 'session' | 'subscription'; region: string | null; crop: string | null };
      await this.journey.store.insert({ subscriberId: dr.subscriberId, joinedAt: detail.joinedAt, joinDay: this.d.days.of(detail.joinedAt), via: detail.via, region: detail.region, crop: detail.crop, findingId }, tx);
      return null;
    }
    if (dr.kind === 'first_sessions_stuck') {
      const welcomedAt = (await this.journey.store.get(dr.subscriberId, tx))?.assignedAt ?? this.now;
      const notBefore = welcomedAt + cfg.followupAfterHours * 3_600_000;
      return notBefore > this.now ? notBefore : null;
    }
    return null;
  }

  /** Writes the pass's reaches and first episodes, and closes retention windows that have ended (inside the pass's unit). */
  async flush(now: number, tx: Tx): Promise<void> {
    const cfg = this.d.config.crm.onboarding;
    const store = this.journey.store;
    if (this.reaches.size > 0) {
      await store.addReaches(
        [...this.reaches].map(([k, n]) => {
          const [day, region, crop, flow, node] = k.split('\t') as [string, string, string, string, string];
          return [Number(day), region, crop, flow, node, n] as [number, string, string, string, string, number];
        }),
        tx,
      );
      this.journey.refresh();
    }
    // One row per new subscriber's first episode after the welcome: a few per pass.
    for (const [sub, at, firstGo] of this.episodes) await store.setEpisode(sub, at, firstGo, tx);
    await store.closeRetention(now, now - cfg.retentionDays * DAY, cfg.retentionDays - cfg.activeWithinDays, tx);
  }
}
