import type { Database, Tx } from '../db/database';
import { ContextStore } from './context-store';
import { DIMS } from './activity-store';
import { ContextRollup } from './context-rollup';
import { DemographyRollup } from './demography-rollup';
import { DemographyStore } from './demography-store';
import { DiscoveryRollup } from './discovery-rollup';
import { DiscoveryStore } from './discovery-store';
import { dwellBucket } from './dwell';
import { hllAdd, hllNew } from './hll';
import { MenuRollup } from './menu-rollup';
import { MenuStore } from './menu-store';
import { RollupsStore, type NodeCounts, type NodeKey, type SessionCounts, type SessionKey } from './rollups-store';
import { ProfileChunks, ProfileStore } from './profile-store';
import type { SessionOutcome } from './session-classifier';

/** Subscribers whose profiles are read per query. */
const PROFILE_CHUNK = 500;

type NodeAgg = NodeKey & NodeCounts;
type SessionAgg = SessionKey & SessionCounts;

interface UsageAgg {
  day: number;
  ch: string;
  flow: string;
  dim: string;
  value: string;
  sessions: number;
  content: number;
  stuck: number;
  hll: Uint8Array;
}

/** Small dictionaries so hot-path map keys are numbers, not concatenated strings. */
class Codes {
  private readonly map = new Map<string, number>();
  readonly values: string[] = [];
  of(v: string): number {
    let c = this.map.get(v);
    if (c === undefined) {
      c = this.values.length;
      this.values.push(v);
      this.map.set(v, c);
    }
    return c;
  }
}

/**
 * Daily rollups the reports sum (per node, per flow, per profile dimension), accumulated in memory during
 * a pass and merged into their tables by `flush`, so a report reads a few thousand rows, never the log.
 */
export class Rollups {
  private readonly channels = new Codes();
  private readonly nodeCodes = new Map<string, Map<string, number>>(); // flow -> node -> code
  private nodeCount = 0;
  private readonly flows = new Codes();
  /** Profile dimension values (their strings are shared, so no key is built per session). */
  private readonly dimValues = new Codes();
  private readonly nodeAgg = new Map<number, NodeAgg>();
  private readonly sessionAgg = new Map<number, SessionAgg>();
  private readonly usageAgg = new Map<number, UsageAgg>();
  /** Finished episodes: first-go discovery of the content sought. */
  readonly discovery = new DiscoveryRollup();
  /** Visits and content reached per profile field value (usage and content-by-demography reports). */
  readonly demography = new DemographyRollup();
  /** Advice served against its declared context (the context report). */
  readonly context = new ContextRollup();
  /** Choices, paging, invalid inputs and content arrivals per node (menu-design recommendations). */
  readonly menu = new MenuRollup();

  private node(day: number, ch: string, flow: string, node: string): NodeAgg {
    let byNode = this.nodeCodes.get(flow);
    if (!byNode) this.nodeCodes.set(flow, (byNode = new Map<string, number>()));
    let code = byNode.get(node);
    if (code === undefined) byNode.set(node, (code = this.nodeCount++));
    const key = (day * 16 + this.channels.of(ch)) * 1_000_000 + code;
    let a = this.nodeAgg.get(key);
    if (!a) {
      a = { day, ch, flow, node, views: 0, sessions: 0, invalid: 0, backs: 0, exits: {}, dropoffs: 0, dwell: [] };
      this.nodeAgg.set(key, a);
    }
    return a;
  }

  /** A screen shown. */
  view(day: number, ch: string, flow: string, node: string): void {
    this.node(day, ch, flow, node).views++;
  }

  /** Time spent on a screen. */
  dwell(day: number, ch: string, flow: string, node: string, ms: number): void {
    const a = this.node(day, ch, flow, node);
    const b = dwellBucket(ms);
    a.dwell[b] = (a.dwell[b] ?? 0) + 1;
  }

  /** An invalid input on a screen. */
  invalid(day: number, ch: string, flow: string, node: string): void {
    this.node(day, ch, flow, node).invalid++;
  }

  /** A back or home from a screen. */
  back(day: number, ch: string, flow: string, node: string): void {
    this.node(day, ch, flow, node).backs++;
  }

  /** A finished session: per-node sessions and exits, per-flow totals, per-dimension usage. */
  session(o: SessionOutcome, startDay: number, endDay: number, first: boolean, dimValues: readonly string[]): void {
    for (const n of o.visited) this.node(startDay, o.ch, o.flow, n).sessions++;
    if (o.endNode) {
      const e = this.node(endDay, o.ch, o.flow, o.endNode);
      e.exits[o.reason] = (e.exits[o.reason] ?? 0) + 1;
      if (!o.content) e.dropoffs++;
    }
    const fc = this.flows.of(o.flow);
    const skey = (startDay * 16 + this.channels.of(o.ch)) * 10_000 + fc;
    let s = this.sessionAgg.get(skey);
    if (!s) {
      s = { day: startDay, ch: o.ch, flow: o.flow, sessions: 0, content: 0, clean: 0, stuck: 0, first: 0, firstContent: 0, menuMs: 0, ends: {}, friction: {} };
      this.sessionAgg.set(skey, s);
    }
    s.sessions++;
    if (o.content) s.content++;
    if (o.clean) s.clean++;
    if (first) {
      s.first++;
      if (o.content) s.firstContent++;
    }
    s.menuMs += o.menuMs;
    s.ends[o.reason] = (s.ends[o.reason] ?? 0) + 1;
    if (o.stuck) {
      s.stuck++;
      for (const sig of o.signals) s.friction[sig] = (s.friction[sig] ?? 0) + 1;
    }
    for (let d = 0; d < DIMS.length; d++) {
      const value = dimValues[d]!;
      const ukey = (skey * 4 + d) * 100_000 + this.dimValues.of(value);
      let u = this.usageAgg.get(ukey);
      if (!u) {
        u = { day: startDay, ch: o.ch, flow: o.flow, dim: DIMS[d]!, value, sessions: 0, content: 0, stuck: 0, hll: hllNew() };
        this.usageAgg.set(ukey, u);
      }
      u.sessions++;
      if (o.content) u.content++;
      if (o.stuck) u.stuck++;
      hllAdd(u.hll, o.sub);
    }
  }

  /**
   * Merges everything into the rollup tables inside the pass's unit and empties the buffers. A row per
   * group (day, flow, node...) is read and written: thousands per pass, so each is awaited in turn.
   */
  async flush(database: Database, tx: Tx): Promise<{ rows: number }> {
    const store = RollupsStore.of(database);
    for (const a of this.nodeAgg.values()) await store.addNode({ day: a.day, ch: a.ch, flow: a.flow, node: a.node }, a, tx);
    for (const s of this.sessionAgg.values()) await store.addSessions({ day: s.day, ch: s.ch, flow: s.flow }, s, tx);
    for (const u of this.usageAgg.values()) await store.addUsage({ day: u.day, ch: u.ch, flow: u.flow, dim: u.dim, value: u.value }, u, u.hll, tx);
    await this.byProfile(database, tx);
    let rows = this.nodeAgg.size + this.sessionAgg.size + this.usageAgg.size;
    rows += await this.discovery.flush(DiscoveryStore.of(database), tx);
    rows += await this.demography.flush(DemographyStore.of(database), tx);
    rows += await this.context.flush(ContextStore.of(database), tx);
    rows += await this.menu.flush(MenuStore.of(database), tx);
    this.nodeAgg.clear();
    this.sessionAgg.clear();
    this.usageAgg.clear();
    return { rows };
  }

  /**
   * Counts the pending episodes, visits and advice serves under their subscribers' profile values: one
   * read and one parse of each subscriber's profile, in ascending id chunks, for all three profile rollups.
   */
  private async byProfile(database: Database, tx: Tx): Promise<void> {
    const lists = [this.discovery.begin(), this.demography.begin(), this.context.begin()];
    const at = lists.map(() => 0);
    const chunk = new ProfileChunks(ProfileStore.of(database));
    for (;;) {
      const ids: number[] = [];
      while (ids.length < PROFILE_CHUNK) {
        // The smallest subscriber not yet taken across the lists (each ascending and distinct).
        let next = Infinity;
        for (let k = 0; k < lists.length; k++) if (at[k]! < lists[k]!.length && lists[k]![at[k]!]! < next) next = lists[k]![at[k]!]!;
        if (next === Infinity) break;
        for (let k = 0; k < lists.length; k++) if (lists[k]![at[k]!] === next) at[k]!++;
        ids.push(next);
      }
      if (ids.length === 0) return;
      await chunk.load(ids, tx);
      const last = ids[ids.length - 1]!;
      this.discovery.take(chunk, last);
      this.demography.take(chunk, last);
      this.context.take(chunk, last);
    }
  }
}
