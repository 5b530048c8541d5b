import { DAY, HOUR } from '../../lib/clock';
import { addPeriod, type FoldEvent } from '../../subscriptions/lifecycle';
import { SALT, u01 } from './model';
import type { EventRow } from './sessions';

export type Period = 'daily' | 'weekly' | 'monthly';

/** A synthetic operator notification for one subscription. */
export interface BillingNote {
  at: number;
  sub: number;
  type: 'subscribed' | 'renewed' | 'renewal_failed' | 'unsubscribed';
  /** A lifecycle move by time alone (no stored billing event, but a `billing` usage event). */
  lifecycle?: 'suspended' | 'expired';
  state: string;
}

const NONE = 0;
const ACTIVE = 1;
const GRACE = 2;
const SUSPENDED = 3;
const ENDED = 4;
const STATE_NAMES = ['none', 'active', 'grace', 'suspended', 'ended'];

export interface BillingPolicy {
  graceMs: number;
  suspendMs: number;
}

/**
 * The operator's side of each subscription, day by day: renewals at each period (succeeding with the
 * subscriber's balance propensity), cancellations (sBG: a per-period probability drawn per subscriber),
 * daily retries after a failure, suspension and expiry by the lifecycle windows.
 */
export class BillingSim {
  readonly state: Uint8Array;
  readonly nextDue: Float64Array;
  readonly since: Float64Array;
  readonly lastTry: Float64Array;
  readonly renewals: Int32Array;
  readonly cancelled: Uint8Array;
  /** Until when a persuaded subscriber keeps the promise to pay the next renewal (0: none). */
  readonly promise: Float64Array;

  constructor(
    n: number,
    private readonly seed: number,
    private readonly policy: BillingPolicy,
  ) {
    this.state = new Uint8Array(n);
    this.nextDue = new Float64Array(n);
    this.since = new Float64Array(n);
    this.lastTry = new Float64Array(n);
    this.renewals = new Int32Array(n);
    this.cancelled = new Uint8Array(n);
    this.promise = new Float64Array(n);
  }

  /** Copies subscriber `i`'s state into `other` (the world where a persuasion did not happen). */
  copyTo(other: BillingSim, i: number): void {
    other.state[i] = this.state[i]!;
    other.nextDue[i] = this.nextDue[i]!;
    other.since[i] = this.since[i]!;
    other.lastTry[i] = this.lastTry[i]!;
    other.renewals[i] = this.renewals[i]!;
    other.cancelled[i] = this.cancelled[i]!;
    other.promise[i] = this.promise[i]!;
  }

  /**
   * A persuaded subscriber pays: one in grace or suspended tops up and is renewed at `at`; an active one
   * pays its next renewal if it falls before `until` (no cancellation, the charge succeeds). Returns
   * whether anything changed.
   */
  persuade(i: number, at: number, until: number, period: Period, out: BillingNote[]): boolean {
    const st = this.state[i]!;
    if (st === GRACE || st === SUSPENDED) {
      this.state[i] = ACTIVE;
      this.renewals[i]! += 1;
      this.lastTry[i] = at;
      this.nextDue[i] = addPeriod(at, period);
      out.push({ at, sub: i, type: 'renewed', state: 'active' });
      return true;
    }
    if (st === ACTIVE) {
      this.promise[i] = until;
      return true;
    }
    return false;
  }

  /** Whether subscriber `i` has anything to do before `dayEnd` (cheap; avoids the call for most days). */
  busy(i: number, subscribeAt: number, dayEnd: number): boolean {
    const st = this.state[i]!;
    if (st === NONE) return subscribeAt < dayEnd;
    if (st === ACTIVE) return this.nextDue[i]! < dayEnd;
    return st !== ENDED;
  }

  /** Advances subscriber `i` through [dayStart, dayEnd), appending the notifications of that day in order to `out`. */
  day(i: number, subscribeAt: number, period: Period, balance: number, cancel: number, dayStart: number, dayEnd: number, out: BillingNote[]): void {
    const note = (at: number, type: BillingNote['type'], lifecycle?: BillingNote['lifecycle']) =>
      out.push({ at, sub: i, type, state: lifecycle ?? (this.cancelled[i] ? 'cancelled' : STATE_NAMES[this.state[i]!]!), ...(lifecycle ? { lifecycle } : {}) });
    if (this.state[i] === NONE && subscribeAt >= dayStart && subscribeAt < dayEnd) {
      this.state[i] = ACTIVE;
      this.nextDue[i] = addPeriod(subscribeAt, period);
      note(subscribeAt, 'subscribed');
    }
    for (let guard = 0; guard < 64; guard++) {
      const st = this.state[i]!;
      if (st === ACTIVE) {
        const due = this.nextDue[i]!;
        if (due >= dayEnd) break;
        const k = this.renewals[i]! + 1;
        const promised = this.promise[i]! >= due;
        if (!promised && u01(this.seed, i, k, SALT.cancel) < cancel) {
          this.state[i] = ENDED;
          this.cancelled[i] = 1;
          note(Math.max(dayStart, due - 2 * HOUR), 'unsubscribed');
          break;
        }
        if (promised || u01(this.seed, i, Math.floor(due / HOUR), SALT.charge) < balance) {
          this.promise[i] = 0;
          this.renewals[i] = k;
          this.nextDue[i] = addPeriod(due, period);
          note(due, 'renewed');
        } else {
          this.state[i] = GRACE;
          this.since[i] = due;
          this.lastTry[i] = due;
          note(due, 'renewal_failed');
        }
        continue;
      }
      if (st === GRACE || st === SUSPENDED) {
        const retry = this.lastTry[i]! + DAY;
        const move = st === GRACE ? this.since[i]! + this.policy.graceMs : this.since[i]! + this.policy.suspendMs;
        const next = Math.min(retry, move);
        if (next >= dayEnd) break;
        if (move <= retry) {
          this.since[i] = move;
          if (st === GRACE) {
            this.state[i] = SUSPENDED;
            note(move, 'renewal_failed', 'suspended');
          } else {
            this.state[i] = ENDED;
            note(move, 'renewal_failed', 'expired');
            break;
          }
          continue;
        }
        this.lastTry[i] = retry;
        if (u01(this.seed, i, Math.floor(retry / HOUR), SALT.charge) < balance) {
          this.state[i] = ACTIVE;
          this.renewals[i]! += 1;
          this.nextDue[i] = addPeriod(retry, period);
          note(retry, 'renewed');
        } else {
          note(retry, 'renewal_failed');
        }
        continue;
      }
      break;
    }
  }
}

const TYPES = ['subscribed', 'renewed', 'renewal_failed', 'unsubscribed'] as const;

/**
 * The stored billing events of every subscription, kept compactly (typed arrays, a linked list per
 * subscriber) so a fresh population is folded without reading millions of rows back.
 */
export class EventLists {
  private at = new Float64Array(1 << 16);
  private type = new Uint8Array(1 << 16);
  private id = new Float64Array(1 << 16);
  private amount = new Int32Array(1 << 16);
  private next = new Int32Array(1 << 16);
  private size = 0;
  private readonly head: Int32Array;
  private readonly tail: Int32Array;

  constructor(subscribers: number) {
    this.head = new Int32Array(subscribers).fill(-1);
    this.tail = new Int32Array(subscribers).fill(-1);
  }

  /** Remembers an event stored for subscriber `i`. */
  add(i: number, type: (typeof TYPES)[number], at: number, id: number, amountMinor: number | null): void {
    if (this.size === this.at.length) {
      const grow = <T extends Float64Array | Uint8Array | Int32Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.at = grow(this.at);
      this.type = grow(this.type);
      this.id = grow(this.id);
      this.amount = grow(this.amount);
      this.next = grow(this.next);
    }
    const k = this.size++;
    this.at[k] = at;
    this.type[k] = TYPES.indexOf(type);
    this.id[k] = id;
    this.amount[k] = amountMinor ?? -1;
    this.next[k] = -1;
    if (this.tail[i] === -1) this.head[i] = k;
    else this.next[this.tail[i]!] = k;
    this.tail[i] = k;
  }

  /** Subscriber `i`'s events in the fold's input shape. */
  events(i: number): FoldEvent[] {
    const out: FoldEvent[] = [];
    for (let k = this.head[i]!; k !== -1; k = this.next[k]!) {
      out.push({ id: this.id[k]!, type: TYPES[this.type[k]!]!, at: this.at[k]!, amountMinor: this.amount[k] === -1 ? null : this.amount[k]!, nextRenewalAt: null, autoRenew: null });
    }
    return out;
  }
}

/** The `billing` usage event of a notification (the shape src/subscriptions records). */
export function billingUsage(n: BillingNote, subscriberId: number, subscriptionId: string, serviceId: string, price: number, currency: string): EventRow {
  const charged = n.type === 'subscribed' || n.type === 'renewed';
  const detail = n.lifecycle
    ? { event: n.lifecycle, serviceId, subscriptionId, source: 'lifecycle', reason: n.lifecycle === 'suspended' ? 'grace_elapsed' : 'retries_elapsed', state: n.lifecycle }
    : { event: n.type, serviceId, subscriptionId, source: 'generic', state: n.state, ...(charged ? { amount: price, currency } : {}), ...(n.type === 'renewal_failed' ? { reason: 'insufficient_balance' } : {}) };
  return [n.at, subscriberId, 'billing', 'billing', null, null, null, JSON.stringify(detail)];
}
