import type { Tx } from '../db/database';
import type { DemographyStore, GroupKey } from './demography-store';
import { distinctSubscribers, MAX_VALUES_PER_FIELD, orderBySubscriber, OTHER, profileValues } from './discovery-rollup';
import { EXACT_MAX, type DistinctSketch } from './distinct-sketch';
import { hllAdd, hllNew } from './hll';
import { fieldValue, ValueCodes, type ProfileChunks, type ProfileRow } from './profile-store';

/** The group of subscribers without a value for a field (as the reports label it). */
export const NOT_SET_VALUE = '(not set)';
/** The field under which every visit counts once (value ''): totals for list fields, whose groups overlap. */
export const ALL_FIELD = '*';
/** Fields kept in their own subscriber columns, grouped like profile fields. */
const COLUMN_FIELDS = ['region', 'crop', 'language', 'operator'] as const;
const W = 7; // pending entry: sub, day, channel code, flow code, flags, first node index, node count

/** A flush in progress: the ordered visits, how far `take` got, and the groups so far. */
interface UsageFlush {
  p: Int32Array;
  nodeCodes: Int32Array;
  order: Int32Array;
  next: number;
  pairs: [string, string][];
  pairCodes: Map<string, Map<string, number>>;
  allPair: number;
  /** The fields to group by; null: every field a profile has. */
  known: string[] | null;
  /** Per (day, channel, flow): the group index of each pair code, -1 for none yet. */
  triples: Map<number, Int32Array>;
  aggs: UsageAggs;
  sub: number;
  codes: number[];
  values: ValueCodes;
}

const NO_VALUES = new ValueCodes(() => []);

/** Small dictionaries so buffered visits are numbers. */
class Names {
  readonly names: string[] = [];
  private readonly codes = new Map<string, number>();
  code(s: string): number {
    let c = this.codes.get(s);
    if (c === undefined) {
      c = this.names.length;
      this.names.push(s);
      this.codes.set(s, c);
    }
    return c;
  }
}

/**
 * Daily usage and content reach per profile field value, so usage-by-field and content-by-demography
 * reports read a few thousand rows instead of the usage log. Visits are buffered as numbers during a pass
 * and grouped at flush, reading each subscriber's profile once (in id order, in chunks).
 */
export class DemographyRollup {
  /** Profile fields to roll up (the profile schema's keys); null: every field a profile has. */
  profileFields: readonly string[] | null = null;
  private pending = new Int32Array(W * 4096);
  private pendingLen = 0;
  private nodeBuf = new Int32Array(4096);
  private nodeLen = 0;
  private readonly channels = new Names();
  private readonly flows = new Names();
  private readonly nodes = new Names();
  private flushing: UsageFlush | null = null;

  /** A visit on `day`: a session (or content sent outside one), with the content nodes it reached. */
  visit(sub: number, day: number, ch: string, flow: string, session: boolean, content: boolean, nodes: readonly string[]): void {
    if (this.pendingLen + W > this.pending.length) {
      const grown = new Int32Array(this.pending.length * 2);
      grown.set(this.pending);
      this.pending = grown;
    }
    const unique = nodes.length > 1 ? [...new Set(nodes)] : nodes;
    while (this.nodeLen + unique.length > this.nodeBuf.length) {
      const grown = new Int32Array(this.nodeBuf.length * 2);
      grown.set(this.nodeBuf);
      this.nodeBuf = grown;
    }
    const first = this.nodeLen;
    for (const n of unique) this.nodeBuf[this.nodeLen++] = this.nodes.code(n);
    const q = this.pending;
    let i = this.pendingLen;
    q[i++] = sub;
    q[i++] = day;
    q[i++] = this.channels.code(ch);
    q[i++] = this.flows.code(flow);
    q[i++] = (session ? 1 : 0) | (content || unique.length > 0 ? 2 : 0);
    q[i++] = first;
    q[i++] = unique.length;
    this.pendingLen = i;
  }

  /**
   * Starts a flush: orders the buffered visits by subscriber and returns the subscribers (ascending,
   * distinct) whose profiles `take` will need.
   */
  begin(): number[] {
    const p = this.pending.subarray(0, this.pendingLen);
    const nodeCodes = this.nodeBuf;
    this.pending = new Int32Array(W * 4096);
    this.pendingLen = 0;
    this.nodeBuf = new Int32Array(4096);
    this.nodeLen = 0;
    const order = orderBySubscriber(p, W);
    const f: UsageFlush = { p, nodeCodes, order, next: 0, pairs: [], pairCodes: new Map(), allPair: 0, known: this.profileFields ? [...new Set([...this.profileFields, ...COLUMN_FIELDS])] : null, triples: new Map(), aggs: new UsageAggs(), sub: -1, codes: [], values: NO_VALUES };
    f.allPair = this.pair(f, ALL_FIELD, '');
    f.values = new ValueCodes((field, value) => this.valueCodes(f, field, value));
    this.flushing = f;
    return distinctSubscribers(p, order, W);
  }

  private pair(f: UsageFlush, field: string, value: string): number {
    let byValue = f.pairCodes.get(field);
    if (!byValue) f.pairCodes.set(field, (byValue = new Map<string, number>()));
    let code = byValue.get(value);
    if (code === undefined) {
      // Past the cap (free text, ids), new values count as "other" so rows stay few.
      if (value !== NOT_SET_VALUE && value !== OTHER && byValue.size > MAX_VALUES_PER_FIELD) return this.pair(f, field, OTHER);
      byValue.set(value, (code = f.pairs.length));
      f.pairs.push([field, value]);
    }
    return code;
  }

  /** Counts the buffered visits of subscribers up to `lastSub` under their profile values (from `chunk`). */
  take(chunk: ProfileChunks, lastSub: number): void {
    const f = this.flushing;
    if (!f) return;
    const { p, order, nodeCodes, aggs } = f;
    let j = f.next;
    for (; j < order.length; j++) {
      const i = order[j]! * W;
      const sub = p[i]!;
      if (sub > lastSub) break;
      if (sub !== f.sub) {
        f.sub = sub;
        const row = chunk.get(sub);
        // A visit by a subscriber since deleted still counts in the totals.
        f.codes = row ? this.codesOf(f, row) : [f.allPair];
      }
      const codes = f.codes;
      const flags = p[i + 4]!;
      const tk = (p[i + 1]! * 64 + p[i + 2]!) * 4096 + p[i + 3]!;
      let byPair = f.triples.get(tk);
      if (!byPair) f.triples.set(tk, (byPair = new Int32Array(Math.max(64, f.pairs.length)).fill(-1)));
      for (let k = 0; k < codes.length; k++) {
        const code = codes[k]!;
        if (code >= byPair.length) {
          const grown = new Int32Array(Math.max(byPair.length * 2, f.pairs.length)).fill(-1);
          grown.set(byPair);
          f.triples.set(tk, (byPair = grown));
        }
        let a = byPair[code]!;
        if (a < 0) byPair[code] = a = aggs.add(p[i + 1]!, p[i + 2]!, p[i + 3]!, code);
        aggs.visit(a, sub, flags);
        for (let x = p[i + 5]!, end = x + p[i + 6]!; x < end; x++) aggs.node(a, nodeCodes[x]!);
      }
    }
    f.next = j;
  }

  /** The groups of one subscriber: every visit, then each field's values (or "not set"). */
  private codesOf(f: UsageFlush, row: ProfileRow): number[] {
    const codes = [f.allPair];
    if (f.known) {
      // The configured fields: no merged object per subscriber, codes looked up per distinct value.
      for (const field of f.known) for (const c of f.values.get(field, fieldValue(row, field, COLUMN_FIELDS))) codes.push(c);
      return codes;
    }
    const merged: Record<string, unknown> = { region: row.region, crop: row.crop, language: row.language, operator: row.operator, ...row.profile };
    for (const field of Object.keys(merged)) for (const c of f.values.get(field, merged[field])) codes.push(c);
    return codes;
  }

  /** The codes of one field's value: each of its values, or "not set". */
  private valueCodes(f: UsageFlush, field: string, value: unknown): number[] {
    const values = profileValues(value);
    if (values.length === 0) return [this.pair(f, field, NOT_SET_VALUE)];
    return values.map((v) => this.pair(f, field, v));
  }

  /**
   * Merges the counted visits into the rollup tables (inside the pass's unit, after `begin` and `take`),
   * in primary-key order: each insert lands next to the previous one instead of on a random page.
   */
  async flush(store: DemographyStore, tx: Tx): Promise<number> {
    const f = this.flushing;
    this.flushing = null;
    if (!f) return 0;
    const { aggs, pairs } = f;
    const chRank = ranks(this.channels.names);
    const flowRank = ranks(this.flows.names);
    const nodeRank = ranks(this.nodes.names);
    const pairRank = ranks(pairs.map(([field, value]) => `${field}\u0000${value}`));
    let minDay = Infinity;
    for (let a = 0; a < aggs.size; a++) minDay = Math.min(minDay, aggs.day[a]!);
    // Group order (day, channel, flow), then field and value: the tables' key order. 53 bits hold it.
    const tripleOf = (a: number) => ((aggs.day[a]! - minDay) * 64 + chRank[aggs.ch[a]!]!) * 4096 + flowRank[aggs.flow[a]!]!;
    const order = sortedBy(aggs.size, (a) => tripleOf(a) * 2 ** 21 + pairRank[aggs.pair[a]!]!);
    const keyOf = (a: number): GroupKey => {
      const [field, value] = pairs[aggs.pair[a]!]!;
      return { day: aggs.day[a]!, ch: this.channels.names[aggs.ch[a]!]!, flow: this.flows.names[aggs.flow[a]!]!, field, value };
    };
    let rows = 0;
    for (let j = 0; j < order.length; ) {
      // One (day, channel, flow) at a time: its usage rows, then its content rows by node, field and value.
      const t = tripleOf(order[j]!);
      let end = j;
      while (end < order.length && tripleOf(order[end]!) === t) end++;
      const content: [number, number, number, number][] = []; // sort key, agg, node, visits
      for (let x = j; x < end; x++) {
        const a = order[x]!;
        await store.addUsage(keyOf(a), { visits: aggs.visits[a]!, sessions: aggs.sessions[a]!, content: aggs.content[a]! }, aggs.sketch(a), tx);
        rows++;
        const nodes = aggs.nodes[a];
        if (nodes) for (const [node, visits] of nodes) content.push([nodeRank[node]! * 2 ** 21 + pairRank[aggs.pair[a]!]!, a, node, visits]);
      }
      content.sort((p, q) => p[0] - q[0]);
      for (const [, a, node, visits] of content) await store.addContent(keyOf(a), this.nodes.names[node]!, visits, tx);
      rows += content.length;
      j = end;
    }
    await store.flush(tx);
    return rows;
  }
}

/** Each name's position in sorted order (by code unit), indexed by its code. */
function ranks(names: readonly string[]): Int32Array {
  const r = new Int32Array(names.length);
  [...names.keys()].sort((a, b) => (names[a]! < names[b]! ? -1 : names[a]! > names[b]! ? 1 : 0)).forEach((code, i) => (r[code] = i));
  return r;
}

/** 0..n-1 ordered by a numeric key. */
function sortedBy(n: number, key: (i: number) => number): number[] {
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = key(i);
  return [...keys.keys()].sort((a, b) => keys[a]! - keys[b]!);
}

/**
 * The groups of a flush, column by column: counts in typed arrays, and the distinct subscribers kept
 * as an ascending id list while few (visits come in subscriber order, so a repeat is the last id) and
 * as HyperLogLog registers past EXACT_MAX, exactly as a DistinctSketch would hold them.
 */
class UsageAggs {
  size = 0;
  day = new Int32Array(1024);
  ch = new Int32Array(1024);
  flow = new Int32Array(1024);
  pair = new Int32Array(1024);
  visits = new Int32Array(1024);
  sessions = new Int32Array(1024);
  content = new Int32Array(1024);
  lastSub = new Int32Array(1024);
  readonly ids: (number[] | null)[] = [];
  readonly regs: (Uint8Array | null)[] = [];
  readonly nodes: (Map<number, number> | undefined)[] = [];

  add(day: number, ch: number, flow: number, pair: number): number {
    const a = this.size++;
    if (a >= this.day.length) {
      const g = (x: Int32Array) => {
        const b = new Int32Array(x.length * 2);
        b.set(x);
        return b;
      };
      this.day = g(this.day);
      this.ch = g(this.ch);
      this.flow = g(this.flow);
      this.pair = g(this.pair);
      this.visits = g(this.visits);
      this.sessions = g(this.sessions);
      this.content = g(this.content);
      this.lastSub = g(this.lastSub);
    }
    this.day[a] = day;
    this.ch[a] = ch;
    this.flow[a] = flow;
    this.pair[a] = pair;
    this.lastSub[a] = -1;
    this.ids.push([]);
    this.regs.push(null);
    this.nodes.push(undefined);
    return a;
  }

  visit(a: number, sub: number, flags: number): void {
    this.visits[a]! += 1;
    if (flags & 1) {
      this.sessions[a]! += 1;
      if (flags & 2) this.content[a]! += 1;
    }
    if (this.lastSub[a] === sub) return;
    this.lastSub[a] = sub;
    const regs = this.regs[a];
    if (regs) return hllAdd(regs, sub);
    const ids = this.ids[a]!;
    ids.push(sub);
    if (ids.length > EXACT_MAX) {
      const r = hllNew();
      for (const id of ids) hllAdd(r, id);
      this.regs[a] = r;
      this.ids[a] = null;
    }
  }

  node(a: number, node: number): void {
    let m = this.nodes[a];
    if (!m) this.nodes[a] = m = new Map();
    m.set(node, (m.get(node) ?? 0) + 1);
  }

  sketch(a: number): DistinctSketch {
    const regs = this.regs[a];
    return regs ? { ids: null, regs } : { ids: new Set(this.ids[a]), regs: null };
  }
}
