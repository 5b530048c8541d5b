import type { Db } from '../db/client';
import { MAX_VALUES_PER_FIELD, OTHER, profileValues } from './discovery-rollup';
import { sketchAdd, sketchBytes, sketchMergeBytes, sketchNew, type DistinctSketch } from './distinct-sketch';

/** The group of subscribers without a value for a field (as the reports label it). */
export const NOT_SET_VALUE = '(not set)';
/** The field under which every visit counts once (value ''): totals for list fields, whose groups overlap. */
export const ALL_FIELD = '*';
/** Fields kept in their own subscriber columns, grouped like profile fields. */
const COLUMN_FIELDS = ['region', 'crop', 'language', 'operator'] as const;
const W = 7; // pending entry: sub, day, channel code, flow code, flags, first node index, node count
const CHUNK = 500;

interface UsageAgg {
  day: number;
  ch: number;
  flow: number;
  pair: number;
  visits: number;
  sessions: number;
  content: number;
  subs: DistinctSketch;
  nodes: Map<number, number>;
}

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

  /** Merges the buffered visits into the rollup tables (call inside a transaction) and empties the buffers. */
  flush(db: Db): number {
    const p = this.pending.subarray(0, this.pendingLen);
    const nodeCodes = this.nodeBuf;
    this.pending = new Int32Array(W * 4096);
    this.pendingLen = 0;
    this.nodeBuf = new Int32Array(4096);
    this.nodeLen = 0;
    const n = p.length / W;
    if (n === 0) return 0;
    // Visits ordered by subscriber with a native numeric sort: key = subscriber * step + visit index.
    const step = 2 ** Math.ceil(Math.log2(n + 1));
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = p[i * W]! * step + i;
    keys.sort();
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = keys[i]! % step;

    const pairs: [string, string][] = [];
    const pairCodes = new Map<string, Map<string, number>>();
    const pair = (field: string, value: string): number => {
      let byValue = pairCodes.get(field);
      if (!byValue) pairCodes.set(field, (byValue = new Map<string, number>()));
      let code = byValue.get(value);
      if (code === undefined) {
        // Past the cap (free text, ids), new values count as "other" so rows stay few.
        if (value !== NOT_SET_VALUE && value !== OTHER && byValue.size > MAX_VALUES_PER_FIELD) return pair(field, OTHER);
        byValue.set(value, (code = pairs.length));
        pairs.push([field, value]);
      }
      return code;
    };
    const allPair = pair(ALL_FIELD, '');
    const known = this.profileFields ? [...new Set([...this.profileFields, ...COLUMN_FIELDS])] : null;
    const agg = new Map<number, UsageAgg>();
    const inRange = db.$client.prepare('SELECT id, region, crop, language, operator, profile FROM subscribers WHERE id BETWEEN ? AND ?').raw();
    for (let from = 0; from < n; ) {
      const ids: number[] = [];
      let to = from;
      while (to < n && (ids.length < CHUNK || p[order[to]! * W] === ids[ids.length - 1])) {
        const sub = p[order[to]! * W]!;
        if (ids[ids.length - 1] !== sub) ids.push(sub);
        to++;
      }
      const lo = ids[0]!;
      const hi = ids[ids.length - 1]!;
      // Dense ids (a pass over most of the base) read as one range; sparse ones by list.
      const rows = (
        hi - lo < 4 * ids.length
          ? inRange.all(lo, hi)
          : db.$client.prepare(`SELECT id, region, crop, language, operator, profile FROM subscribers WHERE id IN (${ids.map(() => '?').join(',')})`).raw().all(...ids)
      ) as [number, string | null, string | null, string | null, string | null, string | null][];
      const groups = new Map<number, number[]>();
      for (const [id, region, crop, language, operator, raw] of rows) {
        let profile: Record<string, unknown> = {};
        try {
          const v = raw ? (JSON.parse(raw) as unknown) : {};
          if (v && typeof v === 'object' && !Array.isArray(v)) profile = v as Record<string, unknown>;
        } catch {
          // A profile that is not JSON has no fields to group by.
        }
        const merged: Record<string, unknown> = { region, crop, language, operator, ...profile };
        const codes = [allPair];
        for (const f of known ?? Object.keys(merged)) {
          const values = profileValues(merged[f]);
          if (values.length === 0) codes.push(pair(f, NOT_SET_VALUE));
          for (const v of values) codes.push(pair(f, v));
        }
        groups.set(id, codes);
      }
      for (let j = from; j < to; j++) {
        const i = order[j]! * W;
        const sub = p[i]!;
        // A visit by a subscriber since deleted still counts in the totals.
        const codes = groups.get(sub) ?? [allPair];
        const flags = p[i + 4]!;
        const base = ((p[i + 1]! * 64 + p[i + 2]!) * 4096 + p[i + 3]!) * 65536;
        for (const code of codes) {
          const k = base + code;
          let a = agg.get(k);
          if (!a) agg.set(k, (a = { day: p[i + 1]!, ch: p[i + 2]!, flow: p[i + 3]!, pair: code, visits: 0, sessions: 0, content: 0, subs: sketchNew(), nodes: new Map() }));
          a.visits++;
          if (flags & 1) {
            a.sessions++;
            if (flags & 2) a.content++;
          }
          sketchAdd(a.subs, sub);
          for (let x = p[i + 5]!, end = x + p[i + 6]!; x < end; x++) a.nodes.set(nodeCodes[x]!, (a.nodes.get(nodeCodes[x]!) ?? 0) + 1);
        }
      }
      from = to;
    }
    return this.write(db, agg, pairs);
  }

  private write(db: Db, agg: Map<number, UsageAgg>, pairs: [string, string][]): number {
    const c = db.$client;
    const getUse = c.prepare('SELECT visits, sessions, content_sessions, subscribers FROM crm_usage_profile_daily WHERE day = ? AND channel = ? AND flow_id = ? AND field = ? AND value = ?');
    const putUse = c.prepare(
      'INSERT OR REPLACE INTO crm_usage_profile_daily (day, channel, flow_id, field, value, visits, sessions, content_sessions, subscribers) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const getNode = c.prepare('SELECT visits FROM crm_content_profile_daily WHERE day = ? AND channel = ? AND flow_id = ? AND node_id = ? AND field = ? AND value = ?').pluck();
    const putNode = c.prepare('INSERT OR REPLACE INTO crm_content_profile_daily (day, channel, flow_id, node_id, field, value, visits) VALUES (?, ?, ?, ?, ?, ?, ?)');
    let rows = 0;
    for (const a of agg.values()) {
      const [field, value] = pairs[a.pair]!;
      const ch = this.channels.names[a.ch]!;
      const flow = this.flows.names[a.flow]!;
      const o = getUse.get(a.day, ch, flow, field, value) as { visits: number; sessions: number; content_sessions: number; subscribers: Buffer } | undefined;
      if (o) sketchMergeBytes(a.subs, new Uint8Array(o.subscribers.buffer, o.subscribers.byteOffset, o.subscribers.byteLength));
      putUse.run(a.day, ch, flow, field, value, (o?.visits ?? 0) + a.visits, (o?.sessions ?? 0) + a.sessions, (o?.content_sessions ?? 0) + a.content, sketchBytes(a.subs));
      rows++;
      for (const [node, visits] of a.nodes) {
        const nodeId = this.nodes.names[node]!;
        const old = (getNode.get(a.day, ch, flow, nodeId, field, value) as number | undefined) ?? 0;
        putNode.run(a.day, ch, flow, nodeId, field, value, old + visits);
        rows++;
      }
    }
    return rows;
  }
}
