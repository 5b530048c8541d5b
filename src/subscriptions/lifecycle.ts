import { DAY, HOUR } from '../lib/clock';
import type { BillingEventType, Period, SubscriptionState } from './types';

/** One stored billing event as the fold needs it. */
export interface FoldEvent {
  id: number;
  type: BillingEventType;
  at: number;
  amountMinor: number | null;
  nextRenewalAt: number | null;
  autoRenew: boolean | null;
}

/** The windows that move a subscription on when the operator says nothing. */
export interface LifecyclePolicy {
  period: Period;
  graceMs: number;
  suspendMs: number;
  missedRenewalMs: number;
}

/** One change of state, caused by an event or by time passing (`eventId` null). */
export interface Transition {
  from: SubscriptionState;
  to: SubscriptionState;
  at: number;
  eventId: number | null;
  cause: string;
}

/** A subscription's derived state as of `asOf`. */
export interface Folded {
  state: SubscriptionState;
  stateEnteredAt: number | null;
  entered: Partial<Record<SubscriptionState, number>>;
  subscribedAt: number | null;
  renewals: number;
  consecutiveFailures: number;
  lastChargedAt: number | null;
  nextRenewalAt: number | null;
  revenueMinor: number;
  autoRenew: boolean;
  pendingAction: 'subscribe' | 'unsubscribe' | null;
  /** When time alone will change the state next (null: never). */
  deadlineAt: number | null;
  /** Flag per event id (null = a normal transition). */
  flags: Map<number, string | null>;
  transitions: Transition[];
  lastEventAt: number | null;
}

/** Lifecycle windows from config, in milliseconds. */
export function lifecyclePolicy(period: Period, days: { graceDays: number; suspendDays: number; missedRenewalHours: number }): LifecyclePolicy {
  return { period, graceMs: days.graceDays * DAY, suspendMs: days.suspendDays * DAY, missedRenewalMs: days.missedRenewalHours * HOUR };
}

/** The instant one period after `t`; months follow the calendar (UTC), clamped to the month's last day. */
export function addPeriod(t: number, period: Period): number {
  if (period === 'daily') return t + DAY;
  if (period === 'weekly') return t + 7 * DAY;
  const d = new Date(t);
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + 1);
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, last));
  return d.getTime();
}

const LIVE: readonly SubscriptionState[] = ['active', 'grace', 'suspended'];
const ENDED: readonly SubscriptionState[] = ['cancelled', 'expired'];

type Outcome = { to: SubscriptionState; flag?: string } | { stay: true; flag?: string };

/**
 * The transition table. `none` (no earlier event known) adopts what the operator implies, flagged,
 * because the operator's platform is the source of truth and we may simply have missed the start.
 * Moves that cannot happen (a renewal after the subscription ended) keep the state and are flagged.
 */
function decide(type: BillingEventType, from: SubscriptionState, pending: Folded['pendingAction']): Outcome {
  const impossible = (): Outcome => ({ stay: true, flag: `${type}_while_${from}` });
  const adopted = (to: SubscriptionState): Outcome => ({ to, flag: `${type}_without_earlier_events` });
  switch (type) {
    case 'subscribed':
      if (from === 'active') return { stay: true, flag: 'subscribed_while_active' };
      return { to: 'active' };
    case 'renewed':
      if (LIVE.includes(from)) return pending === 'unsubscribe' ? { to: 'active', flag: 'renewed_after_unsubscribe_request' } : { to: 'active' };
      if (from === 'none' || from === 'pending') return adopted('active');
      return impossible();
    case 'renewal_failed':
      if (from === 'active') return { to: 'grace' };
      if (from === 'grace' || from === 'suspended' || from === 'pending') return { stay: true };
      if (from === 'none') return adopted('grace');
      return impossible();
    case 'suspended':
      if (from === 'active' || from === 'grace') return { to: 'suspended' };
      if (from === 'suspended') return { stay: true };
      if (from === 'none') return adopted('suspended');
      return impossible();
    case 'unsubscribed':
      if (LIVE.includes(from) || from === 'pending') return { to: 'cancelled' };
      if (from === 'cancelled') return { stay: true };
      if (from === 'none') return adopted('cancelled');
      return impossible();
    case 'expired':
      if (LIVE.includes(from) || from === 'pending') return { to: 'expired' };
      if (from === 'expired') return { stay: true };
      if (from === 'none') return adopted('expired');
      return impossible();
    case 'subscribe_requested':
      if (from === 'none' || ENDED.includes(from)) return { to: 'pending' };
      return { stay: true };
    case 'unsubscribe_requested':
      if (from === 'pending') return { to: 'cancelled' };
      return { stay: true };
  }
}

function initial(): Folded {
  return {
    state: 'none',
    stateEnteredAt: null,
    entered: {},
    subscribedAt: null,
    renewals: 0,
    consecutiveFailures: 0,
    lastChargedAt: null,
    nextRenewalAt: null,
    revenueMinor: 0,
    autoRenew: true,
    pendingAction: null,
    deadlineAt: null,
    flags: new Map(),
    transitions: [],
    lastEventAt: null,
  };
}

function enter(s: Folded, to: SubscriptionState, at: number, eventId: number | null, cause: string): void {
  if (to === s.state) return;
  s.transitions.push({ from: s.state, to, at, eventId, cause });
  s.state = to;
  s.stateEnteredAt = at;
  s.entered[to] = at;
  // Ended, or only asked for: nothing is due. Grace and suspension keep the missed due date.
  if (to === 'cancelled' || to === 'expired' || to === 'pending') s.nextRenewalAt = null;
}

/** When time alone moves the state on, and where to. */
function timed(s: Folded, p: LifecyclePolicy): { at: number; to: SubscriptionState; cause: string } | null {
  if (s.state === 'active' && s.nextRenewalAt !== null) {
    return s.autoRenew
      ? { at: s.nextRenewalAt + p.missedRenewalMs, to: 'grace', cause: 'renewal_missing' }
      : { at: s.nextRenewalAt + p.missedRenewalMs, to: 'expired', cause: 'not_renewed' };
  }
  if (s.state === 'grace' && s.stateEnteredAt !== null) return { at: s.stateEnteredAt + p.graceMs, to: 'suspended', cause: 'grace_elapsed' };
  if (s.state === 'suspended' && s.stateEnteredAt !== null) return { at: s.stateEnteredAt + p.suspendMs, to: 'expired', cause: 'retries_elapsed' };
  return null;
}

/** Applies every time-based transition due before `t` (or at `t` when `inclusive`). */
function advance(s: Folded, p: LifecyclePolicy, t: number, inclusive: boolean): void {
  // At most active -> grace -> suspended -> expired: the bound keeps a bad policy from looping.
  for (let i = 0; i < 4; i++) {
    const next = timed(s, p);
    if (!next || next.at > t || (!inclusive && next.at === t)) return;
    enter(s, next.to, next.at, null, next.cause);
  }
}

function apply(s: Folded, e: FoldEvent, p: LifecyclePolicy): void {
  const from = s.state;
  const outcome = decide(e.type, from, s.pendingAction);
  s.flags.set(e.id, outcome.flag ?? null);
  s.lastEventAt = s.lastEventAt === null ? e.at : Math.max(s.lastEventAt, e.at);
  if (e.autoRenew !== null && (e.type === 'subscribed' || e.type === 'renewed')) s.autoRenew = e.autoRenew;
  // Money taken is revenue even when the move is impossible: that is exactly what support must see.
  const charged = (e.type === 'subscribed' || e.type === 'renewed') && (e.amountMinor ?? 0) > 0;
  if (charged) {
    s.revenueMinor += e.amountMinor!;
    s.lastChargedAt = s.lastChargedAt === null ? e.at : Math.max(s.lastChargedAt, e.at);
  }
  const moved = 'to' in outcome;
  if (moved) enter(s, outcome.to, e.at, e.id, e.type);
  switch (e.type) {
    case 'subscribed':
      if (moved || from === 'active') {
        // A new run starts unless this re-activates one in grace or suspension.
        if (!LIVE.includes(from)) s.subscribedAt = e.at;
        s.subscribedAt ??= e.at;
        s.consecutiveFailures = 0;
        s.nextRenewalAt = e.nextRenewalAt ?? addPeriod(e.at, p.period);
        s.pendingAction = null;
      }
      break;
    case 'renewed':
      if (moved || from === 'active') {
        s.renewals += 1;
        s.consecutiveFailures = 0;
        s.nextRenewalAt = e.nextRenewalAt ?? addPeriod(e.at, p.period);
        if (s.pendingAction === 'subscribe') s.pendingAction = null;
        if (from === 'none' || from === 'pending') s.subscribedAt = e.at;
      }
      break;
    case 'renewal_failed':
      if (LIVE.includes(from) || from === 'pending' || from === 'none') s.consecutiveFailures += 1;
      if (e.nextRenewalAt !== null && s.state !== 'pending') s.nextRenewalAt = e.nextRenewalAt;
      break;
    case 'suspended':
    case 'unsubscribed':
    case 'expired':
      if (moved) s.pendingAction = null;
      break;
    case 'subscribe_requested':
      if (moved) s.pendingAction = 'subscribe';
      break;
    case 'unsubscribe_requested':
      if (moved) s.pendingAction = null;
      else if (LIVE.includes(from)) s.pendingAction = 'unsubscribe';
      break;
  }
}

/**
 * Derives a subscription's state from all its events, ordered by their own time (ties by arrival),
 * with the lifecycle windows applied between events and up to `asOf`. Pure: the same events and
 * instant always give the same answer, so a late or out-of-order notification lands in the right place.
 */
export function foldSubscription(events: readonly FoldEvent[], policy: LifecyclePolicy, asOf: number): Folded {
  const s = initial();
  const sorted = [...events].sort((a, b) => a.at - b.at || a.id - b.id);
  for (const e of sorted) {
    advance(s, policy, e.at, false);
    apply(s, e, policy);
  }
  advance(s, policy, asOf, true);
  s.deadlineAt = timed(s, policy)?.at ?? null;
  return s;
}

/** A subscription's derived state as stored: what `foldSubscription` gave as of `evaluatedAt`. */
export type StoredFold = Pick<
  Folded,
  'state' | 'stateEnteredAt' | 'entered' | 'subscribedAt' | 'renewals' | 'consecutiveFailures' | 'lastChargedAt' | 'nextRenewalAt' | 'revenueMinor' | 'autoRenew' | 'pendingAction' | 'lastEventAt'
> & { evaluatedAt: number };

/**
 * Whether folding `e` forward from the stored state gives what a full fold of every event would.
 * The full fold applies `e` after every stored event (none is later by time; an equal time sorts
 * earlier because its id is smaller) and after the timed moves strictly before `e.at`. The stored
 * state carries the timed moves up to `evaluatedAt` inclusive, so it fits when none of those lies
 * at or after `e.at`: either it was evaluated before `e.at`, or its last move (each timed move is
 * at or after the one before, the windows being non-negative) came before `e.at`.
 */
export function canFoldForward(stored: StoredFold, e: Pick<FoldEvent, 'at'>, policy: LifecyclePolicy): boolean {
  if (stored.lastEventAt === null || stored.lastEventAt > e.at) return false;
  if (policy.graceMs < 0 || policy.suspendMs < 0) return false;
  return stored.evaluatedAt < e.at || stored.stateEnteredAt === null || stored.stateEnteredAt < e.at;
}

/**
 * Folds one more event onto a stored state (only valid when `canFoldForward` says so): the same
 * result as `foldSubscription` over every event, at a cost that does not grow with the history.
 * `flags` and `transitions` hold only what this step produced.
 */
export function foldForward(stored: StoredFold, e: FoldEvent, policy: LifecyclePolicy, asOf: number): Folded {
  const s: Folded = {
    state: stored.state,
    stateEnteredAt: stored.stateEnteredAt,
    entered: { ...stored.entered },
    subscribedAt: stored.subscribedAt,
    renewals: stored.renewals,
    consecutiveFailures: stored.consecutiveFailures,
    lastChargedAt: stored.lastChargedAt,
    nextRenewalAt: stored.nextRenewalAt,
    revenueMinor: stored.revenueMinor,
    autoRenew: stored.autoRenew,
    pendingAction: stored.pendingAction,
    deadlineAt: null,
    flags: new Map(),
    transitions: [],
    lastEventAt: stored.lastEventAt,
  };
  advance(s, policy, e.at, false);
  apply(s, e, policy);
  advance(s, policy, asOf, true);
  s.deadlineAt = timed(s, policy)?.at ?? null;
  return s;
}
