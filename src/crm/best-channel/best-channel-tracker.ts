import type { Tx } from '../../db/database';
import type { CrmState } from '../crm-state-store';
import type { EventBatch } from '../event-decoder';
import { T } from '../event-decoder';
import type { BestChannelStore } from './best-channel-store';
import { chooseBest, emptyRow, emptyTotals, type BestChannelRow, type BestChannelSettings, type Channel, type ChannelTotals } from './evidence';

const TOTALS_KEY = 'bestChannelTotals';

/**
 * Best-channel evidence gathered during one CRM pass from the usage-log delta. A delivered SMS is an
 * attempt on SMS and on USSD and opens an answer window; an answer by SMS (a keyword, a poll answer, content
 * by keyword) or by USSD (content reached or a poll answered in a USSD session the subscriber opened) inside
 * the window is one response on that channel, however many messages it follows. A dialled outbound call is
 * an attempt on `call`, an answered one a response. Rows are loaded only when needed: those with a window
 * still open, and those of subscribers with a new attempt (a page of the log at a time, before it applies).
 */
export class BestChannelTracker {
  private readonly rows = new Map<number, BestChannelRow>();
  private readonly dirty = new Set<number>();
  private readonly added: ChannelTotals = emptyTotals();
  private begun = false;
  private readonly store: BestChannelStore;
  private readonly windowMs: number;

  constructor(
    store: BestChannelStore,
    private readonly state: Pick<CrmState, 'get' | 'set'>,
    private readonly cfg: BestChannelSettings & { responseHours: number },
  ) {
    this.store = store;
    this.windowMs = cfg.responseHours * 3_600_000;
  }

  /**
   * Loads what page `b` needs before it applies: on the first page, the windows still open at its first
   * event (a row whose window closed since is loaded harmlessly: a late answer does not count); then the
   * rows of subscribers with a new attempt on the page, in one query.
   */
  async load(b: EventBatch): Promise<void> {
    if (b.n === 0) return;
    if (!this.begun) {
      this.begun = true;
      for (const r of await this.store.open(b.at[0]!)) this.rows.set(r.subscriberId, r);
    }
    const want = new Set<number>();
    for (let i = 0; i < b.n; i++) {
      const type = b.type[i]!;
      if ((type === T.smsDelivered || type === T.callDialled || type === T.callAnswered) && !this.rows.has(b.sub[i]!)) want.add(b.sub[i]!);
    }
    if (want.size === 0) return;
    const ids = [...want];
    for (const r of await this.store.ofSubscribers(ids)) this.rows.set(r.subscriberId, r);
    for (const sub of ids) if (!this.rows.has(sub)) this.rows.set(sub, emptyRow(sub));
  }

  private row(sub: number): BestChannelRow {
    let r = this.rows.get(sub);
    if (!r) {
      r = emptyRow(sub);
      this.rows.set(sub, r);
    }
    this.dirty.add(sub);
    return r;
  }

  /** An SMS reached the subscriber's handset (a delivery receipt). */
  smsDelivered(sub: number, at: number): void {
    const r = this.row(sub);
    if (r.openUntil !== null && at > r.openUntil) r.smsOpen = r.ussdOpen = 0;
    r.smsAttempts++;
    r.ussdAttempts++;
    r.smsOpen++;
    r.ussdOpen++;
    r.openUntil = at + this.windowMs;
    this.added.sms.attempts++;
    this.added.ussd.attempts++;
  }

  /** An outbound call to the subscriber was dialled. */
  callDialled(sub: number): void {
    this.row(sub).callAttempts++;
    this.added.call.attempts++;
  }

  /** An outbound call was answered (never more answers than dialled calls). */
  callAnswered(sub: number): void {
    const r = this.row(sub);
    if (r.callResponses >= r.callAttempts) return;
    r.callResponses++;
    this.added.call.responses++;
  }

  /** The subscriber answered by SMS or used USSD: a response when a delivered message is waiting for one. */
  responded(sub: number, at: number, channel: Exclude<Channel, 'call'>): void {
    const r = this.rows.get(sub);
    if (!r || r.openUntil === null || at > r.openUntil) return;
    if (channel === 'sms') {
      if (r.smsOpen === 0) return;
      r.smsOpen = 0;
      r.smsResponses++;
    } else {
      if (r.ussdOpen === 0) return;
      r.ussdOpen = 0;
      r.ussdResponses++;
    }
    this.added[channel].responses++;
    this.dirty.add(sub);
  }

  /** Writes the changed rows with their best channel as of `now`, and the base rates (inside the pass's unit). */
  async flush(now: number, tx: Tx): Promise<number> {
    if (this.dirty.size === 0) return 0;
    const totals = await this.state.get<ChannelTotals>(TOTALS_KEY, emptyTotals(), tx);
    for (const c of ['sms', 'call', 'ussd'] as const) {
      totals[c].attempts += this.added[c].attempts;
      totals[c].responses += this.added[c].responses;
    }
    await this.state.set(TOTALS_KEY, totals, now, tx);
    const out: BestChannelRow[] = [];
    for (const sub of this.dirty) {
      const r = this.rows.get(sub)!;
      if (r.openUntil !== null && r.openUntil < now) {
        r.smsOpen = r.ussdOpen = 0;
        r.openUntil = null;
      }
      r.channel = chooseBest(r, totals, this.cfg);
      r.updatedAt = now;
      out.push(r);
    }
    return this.store.save(out, tx);
  }
}

/** The base rates the last pass stored (for the profile's evidence). */
export function storedTotals(state: Pick<CrmState, 'get'>): Promise<ChannelTotals> {
  return state.get<ChannelTotals>(TOTALS_KEY, emptyTotals());
}
