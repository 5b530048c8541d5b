import type { Tx } from '../db/database';
import type { NodeContext } from '../engine/types';
import { DAY } from '../lib/clock';
import type { ContextStore, ContextCounts } from './context-store';
import { Days } from './days';
import { distinctSubscribers, orderBySubscriber } from './discovery-rollup';
import { fieldValue, type ProfileChunks, type ProfileRow } from './profile-store';

const W = 3; // pending entry: subscriber, local day (gateway zone), target index
/** Day x target keys are day * TARGETS + target: far more content nodes than any flow set has. */
const TARGETS = 1_000_000;

/** Where a serve happened and what the node's effective context is. */
interface Target {
  flow: string;
  node: string;
  ctx: NodeContext;
  months: Set<number> | null;
  regions: Set<string> | null;
  crops: Set<string> | null;
}

/** A flush in progress: the ordered serves, how far `take` got, and the counts per day and target so far. */
interface ContextFlush {
  p: Int32Array;
  at: Float64Array;
  order: Int32Array;
  next: number;
  counts: Map<number, ContextCounts>;
}

const lower = (v: unknown) => String(v).trim().toLowerCase();
const emptyCounts = (): ContextCounts => ({ served: 0, outsideAny: 0, outsideMonths: 0, outsideRegions: 0, outsideCrops: 0, regionUnknown: 0, cropsUnknown: 0 });

/** A subscriber's crops: the typed `crops` list, and the older single `crop` (column or profile field). */
function cropsOf(row: ProfileRow): string[] {
  const out = new Set<string>();
  for (const f of ['crops', 'crop']) {
    const v = fieldValue(row, f, ['crop']);
    for (const x of Array.isArray(v) ? v : v === undefined || v === null || v === '' ? [] : [v]) out.add(lower(x));
  }
  return [...out];
}

/**
 * Advice served against its context (flows' `context:`): each serve of a content node with a context is
 * buffered during the pass (subscriber, instant) and judged at flush against the subscriber's region and
 * crops (read once per subscriber, in id order) and the month in the subscriber's time zone (their
 * operator's, else the messaging zone). Counts go to crm_context_daily per day and node.
 */
export class ContextRollup {
  private pending = new Int32Array(W * 1024);
  private at = new Float64Array(1024);
  private len = 0;
  private readonly targets: Target[] = [];
  private readonly targetCodes = new Map<string, Map<string, number>>();
  private readonly zones = new Map<string, Days>();
  /** The subscriber's time zone from their operator (set by the pass from config). */
  timezoneOf: (operator: string | null) => string = () => 'UTC';
  /** The gateway's days (report days). */
  days: Days = new Days('UTC');
  private flushing: ContextFlush | null = null;

  /** Content node `node` of `flow`, whose effective context is `ctx`, reached by `sub` at `at`. */
  served(sub: number, at: number, flow: string, node: string, ctx: NodeContext): void {
    let byNode = this.targetCodes.get(flow);
    if (!byNode) this.targetCodes.set(flow, (byNode = new Map<string, number>()));
    let t = byNode.get(node);
    if (t === undefined) {
      t = this.targets.length;
      this.targets.push({
        flow,
        node,
        ctx,
        months: ctx.months ? new Set(ctx.months) : null,
        regions: ctx.regions ? new Set(ctx.regions.map(lower)) : null,
        crops: ctx.crops ? new Set(ctx.crops.map(lower)) : null,
      });
      byNode.set(node, t);
    }
    if ((this.len + 1) * W > this.pending.length) {
      const p = new Int32Array(this.pending.length * 2);
      p.set(this.pending);
      this.pending = p;
      const a = new Float64Array(this.at.length * 2);
      a.set(this.at);
      this.at = a;
    }
    const i = this.len * W;
    this.pending[i] = sub;
    this.pending[i + 1] = this.days.of(at);
    this.pending[i + 2] = t;
    this.at[this.len++] = at;
  }

  private monthOf(at: number, zone: string): number {
    let d = this.zones.get(zone);
    if (!d) this.zones.set(zone, (d = zone === this.days.timeZone ? this.days : new Days(zone)));
    return new Date(d.of(at) * DAY).getUTCMonth() + 1;
  }

  /**
   * Starts a flush: orders the buffered serves by subscriber and returns the subscribers (ascending,
   * distinct) whose profiles `take` will need.
   */
  begin(): number[] {
    const p = this.pending.subarray(0, this.len * W);
    const order = orderBySubscriber(p, W);
    this.flushing = { p, at: this.at, order, next: 0, counts: new Map() };
    this.pending = new Int32Array(W * 1024);
    this.at = new Float64Array(1024);
    this.len = 0;
    return distinctSubscribers(p, order, W);
  }

  /** Judges the buffered serves of subscribers up to `lastSub` against their profiles (from `chunk`). */
  take(chunk: ProfileChunks, lastSub: number): void {
    const f = this.flushing;
    if (!f) return;
    const { p, order, counts } = f;
    let sub = -1;
    let region: string | null = null;
    let crops: string[] = [];
    let zone = '';
    let j = f.next;
    for (; j < order.length; j++) {
      const e = order[j]!;
      const i = e * W;
      if (p[i]! > lastSub) break;
      if (p[i] !== sub) {
        sub = p[i]!;
        const row = chunk.get(sub);
        const r = row ? fieldValue(row, 'region', ['region']) : null;
        region = r === undefined || r === null || r === '' ? null : lower(r);
        crops = row ? cropsOf(row) : [];
        zone = this.timezoneOf(row?.operator ?? null);
      }
      const t = this.targets[p[i + 2]!]!;
      const key = p[i + 1]! * TARGETS + p[i + 2]!;
      let c = counts.get(key);
      if (!c) counts.set(key, (c = emptyCounts()));
      c.served++;
      let outside = false;
      if (t.months && !t.months.has(this.monthOf(f.at[e]!, zone))) {
        c.outsideMonths++;
        outside = true;
      }
      if (t.regions) {
        if (region === null) c.regionUnknown++;
        else if (!t.regions.has(region)) {
          c.outsideRegions++;
          outside = true;
        }
      }
      if (t.crops) {
        if (crops.length === 0) c.cropsUnknown++;
        else if (!crops.some((x) => t.crops!.has(x))) {
          c.outsideCrops++;
          outside = true;
        }
      }
      if (outside) c.outsideAny++;
    }
    f.next = j;
  }

  /** Adds the judged serves to the table (inside the pass's unit, after `begin` and `take`). */
  async flush(store: ContextStore, tx: Tx): Promise<number> {
    const f = this.flushing;
    this.flushing = null;
    if (!f || f.counts.size === 0) return 0;
    for (const [key, c] of f.counts) {
      const t = this.targets[key % TARGETS]!;
      await store.add(Math.floor(key / TARGETS), t.flow, t.node, c, tx);
    }
    return f.counts.size;
  }
}
