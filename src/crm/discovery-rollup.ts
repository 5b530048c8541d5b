import type { Tx } from '../db/database';
import type { DiscoveryStore } from './discovery-store';
import type { EpisodeOutcome } from './episodes';
import { fieldValue, ValueCodes, type ProfileChunks } from './profile-store';

/** Episode counts of one discovery group (the rollup's columns, the report's sums). */
export interface DiscoveryCounts {
  episodes: number;
  firstGo: number;
  retried: number;
  notFound: number;
  anyFirstGo: number;
  sessions: number;
}

/** One group of the main rollup (day, channel, flow, language, cohort, content sought). */
export interface MainAgg extends DiscoveryCounts {
  day: number;
  ch: string;
  flow: string;
  lang: string;
  cohort: string;
  soughtFlow: string;
  node: string;
}

/** One group of the profile rollup (day, channel, flow, field, value). */
export interface ProfileAgg extends DiscoveryCounts {
  day: number;
  ch: string;
  flow: string;
  field: string;
  value: string;
}

/** A subscriber in the first week of activity, or past it (the cohort breakdown). */
export const COHORTS = { firstWeek: 'first_week', established: 'established' } as const;

/** Longest profile value rolled up: longer ones are free text, not a group. */
const MAX_VALUE = 64;
/** Distinct values of one field per pass; more (free text, ids) are counted as "other" so rows stay few. */
export const MAX_VALUES_PER_FIELD = 1000;
export const OTHER = 'other';
/** Numbers per pending episode: sub, day, channel code, flow code, outcome, anyFirstGo, sessions. */
const W = 7;

/** A flush in progress: the ordered episodes, how far `take` got, and the profile groups so far. */
interface ProfileFlush {
  p: Int32Array;
  order: Int32Array;
  next: number;
  pairs: [string, string][];
  pairCodes: Map<string, Map<string, number>>;
  triples: [number, number, number][];
  tripleCodes: Map<number, number>;
  slots: Int32Array[];
  /** The subscriber whose codes are in `codes`. */
  sub: number;
  codes: number[];
  values?: ValueCodes;
}

/** The subscriber columns that group like profile fields here (the profile's value wins). */
const DISCOVERY_COLUMNS = ['region', 'crop'];

/** An empty group. */
export const zeroCounts = (): DiscoveryCounts => ({ episodes: 0, firstGo: 0, retried: 0, notFound: 0, anyFirstGo: 0, sessions: 0 });

function count(a: DiscoveryCounts, firstGo: boolean, found: boolean, anyFirstGo: boolean, sessions: number): void {
  a.episodes++;
  if (firstGo) a.firstGo++;
  else if (found) a.retried++;
  else a.notFound++;
  if (anyFirstGo) a.anyFirstGo++;
  a.sessions += sessions;
}

/**
 * The values of one profile field as groups: scalars as text, a list as each of its items. A number
 * counts under its whole part (farm size 2.5 under "2", meaning 2 to under 3): one group per size step.
 */
export function profileValues(v: unknown): string[] {
  if (typeof v === 'string') return v !== '' && v.length <= MAX_VALUE ? [v] : [];
  if (typeof v === 'number' && Number.isFinite(v)) return [String(Math.floor(v))];
  if (typeof v === 'boolean') return [String(v)];
  if (Array.isArray(v)) return [...new Set(v.flatMap((x) => (Array.isArray(x) ? [] : profileValues(x))))];
  return [];
}

/**
 * Daily discovery rollups of finished episodes: per channel, flow, language, cohort and content sought,
 * and per profile field value. Profiles are read once per subscriber at flush, in chunks, so a pass
 * over a million subscribers keeps a few numbers per episode, not a profile each.
 */
export class DiscoveryRollup {
  /** Profile fields to roll up (the profile schema's keys); null: every field a profile has. */
  profileFields: readonly string[] | null = null;
  private readonly main = new Map<string, MainAgg>();
  // Episodes waiting for their subscriber's profile: [sub, day, channel code, flow code, outcome, anyFirstGo, sessions].
  private pending = new Int32Array(W * 4096);
  private profiles: ProfileFlush | null = null;
  private pendingLen = 0;
  private readonly names: string[] = [];
  private readonly nameCodes = new Map<string, number>();

  private code(s: string): number {
    let c = this.nameCodes.get(s);
    if (c === undefined) {
      c = this.names.length;
      this.names.push(s);
      this.nameCodes.set(s, c);
    }
    return c;
  }

  /** A finished episode that started on `day`. */
  episode(o: EpisodeOutcome, day: number, lang: string, cohort: string): void {
    const soughtFlow = o.soughtFlow ?? '';
    const node = o.soughtNode ?? '';
    const k = `${day}|${o.ch}|${o.flow}|${lang}|${cohort}|${soughtFlow}|${node}`;
    let a = this.main.get(k);
    if (!a) this.main.set(k, (a = { day, ch: o.ch, flow: o.flow, lang, cohort, soughtFlow, node, ...zeroCounts() }));
    const found = o.soughtNode !== null;
    count(a, o.firstGo, found, o.anyFirstGo, o.sessions);
    if (this.pendingLen + 7 > this.pending.length) {
      const grown = new Int32Array(this.pending.length * 2);
      grown.set(this.pending);
      this.pending = grown;
    }
    const q = this.pending;
    let n = this.pendingLen;
    q[n++] = o.sub;
    q[n++] = day;
    q[n++] = this.code(o.ch);
    q[n++] = this.code(o.flow);
    q[n++] = o.firstGo ? 0 : found ? 1 : 2;
    q[n++] = o.anyFirstGo ? 1 : 0;
    q[n++] = o.sessions;
    this.pendingLen = n;
  }

  /**
   * Starts a flush: orders the pending episodes by subscriber and returns the subscribers (ascending,
   * distinct) whose profiles `take` will need.
   */
  begin(): number[] {
    const p = this.pending.subarray(0, this.pendingLen);
    this.pending = new Int32Array(W * 4096);
    this.pendingLen = 0;
    const order = orderBySubscriber(p, W);
    this.profiles = { p, order, next: 0, pairs: [], pairCodes: new Map(), triples: [], tripleCodes: new Map(), slots: [], sub: -1, codes: [] };
    return distinctSubscribers(p, order, W);
  }

  /** Counts the pending episodes of subscribers up to `lastSub` under their profile values (from `chunk`). */
  take(chunk: ProfileChunks, lastSub: number): void {
    const f = this.profiles;
    if (!f) return;
    const { p, order, pairs, pairCodes, triples, tripleCodes, slots } = f;
    const fields = this.profileFields;
    // Field values and (day, channel, flow) triples become small integers, so the hot loop below keys a
    // Map by numbers instead of building a string per episode and field.
    const pair = (field: string, value: string): number => {
      let byValue = pairCodes.get(field);
      if (!byValue) pairCodes.set(field, (byValue = new Map<string, number>()));
      let code = byValue.get(value);
      if (code === undefined) {
        // The marker '' always gets its own code; past the cap, new values count as "other".
        if (value !== '' && value !== OTHER && byValue.size > MAX_VALUES_PER_FIELD) return pair(field, OTHER);
        byValue.set(value, (code = pairs.length));
        pairs.push([field, value]);
      }
      return code;
    };
    // A field's codes: the marker '' (the subscriber has the field) and one per value; none without a value.
    const values = (f.values ??= new ValueCodes((field, value) => {
      const vs = profileValues(value);
      return vs.length === 0 ? [] : [pair(field, ''), ...vs.map((v) => pair(field, v))];
    }));
    let j = f.next;
    for (; j < order.length; j++) {
      const i = order[j]! * W;
      const sub = p[i]!;
      if (sub > lastSub) break;
      if (sub !== f.sub) {
        f.sub = sub;
        f.codes = [];
        const row = chunk.get(sub);
        if (row) {
          if (fields) {
            // The configured fields: no merged object per subscriber, codes looked up per distinct value.
            for (const fl of fields) for (const c of values.get(fl, fieldValue(row, fl, DISCOVERY_COLUMNS))) f.codes.push(c);
          } else {
            // Region and crop have their own columns; the profile's value wins when it has one.
            const merged: Record<string, unknown> = { ...(row.region ? { region: row.region } : {}), ...(row.crop ? { crop: row.crop } : {}), ...row.profile };
            for (const fl of Object.keys(merged)) for (const c of values.get(fl, merged[fl])) f.codes.push(c);
          }
        }
      }
      const codes = f.codes;
      if (codes.length === 0) continue;
      const tk = (p[i + 1]! * 1024 + p[i + 2]!) * 1024 + p[i + 3]!;
      let t = tripleCodes.get(tk);
      if (t === undefined) {
        tripleCodes.set(tk, (t = triples.length));
        triples.push([p[i + 1]!, p[i + 2]!, p[i + 3]!]);
      }
      // Per triple, the six counts of every pair code side by side (grown as codes are added).
      let slot = slots[t] ?? new Int32Array(6 * 256);
      if (slot.length < 6 * pairs.length) {
        const grown = new Int32Array(Math.max(slot.length * 2, 6 * pairs.length));
        grown.set(slot);
        slot = grown;
      }
      slots[t] = slot;
      const outcome = p[i + 4]!;
      const col = outcome === 0 ? 1 : outcome === 1 ? 2 : 3;
      const any = p[i + 5]!;
      const sessions = p[i + 6]!;
      for (const code of codes) {
        const b = code * 6;
        slot[b]! += 1;
        slot[b + col]! += 1;
        slot[b + 4]! += any;
        slot[b + 5]! += sessions;
      }
    }
    f.next = j;
  }

  /** Merges everything into the rollup tables (inside the pass's unit, after `begin` and `take`) and empties the buffers. */
  async flush(store: DiscoveryStore, tx: Tx): Promise<number> {
    for (const a of this.main.values()) await store.addMain(a, tx);
    let rows = this.main.size;
    this.main.clear();
    const f = this.profiles;
    this.profiles = null;
    if (!f) return rows;
    for (let t = 0; t < f.slots.length; t++) {
      const slot = f.slots[t];
      if (!slot) continue;
      const [day, ch, flow] = f.triples[t]!;
      for (let code = 0; code * 6 < slot.length && code < f.pairs.length; code++) {
        const b = code * 6;
        if (slot[b] === 0) continue;
        const [field, value] = f.pairs[code]!;
        const counts = { episodes: slot[b]!, firstGo: slot[b + 1]!, retried: slot[b + 2]!, notFound: slot[b + 3]!, anyFirstGo: slot[b + 4]!, sessions: slot[b + 5]! };
        await store.addProfile({ day, ch: this.names[ch]!, flow: this.names[flow]!, field, value, ...counts }, tx);
        rows++;
      }
    }
    return rows;
  }
}

/** Entry indexes of `p` (entries of `w` numbers, the subscriber first) ordered by subscriber, then entry. */
export function orderBySubscriber(p: Int32Array, w: number): Int32Array {
  // A native numeric sort: key = subscriber * step + entry index.
  const n = p.length / w;
  const step = 2 ** Math.ceil(Math.log2(n + 1));
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = p[i * w]! * step + i;
  keys.sort();
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = keys[i]! % step;
  return order;
}

/** The distinct subscribers of ordered entries, ascending. */
export function distinctSubscribers(p: Int32Array, order: Int32Array, w: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < order.length; j++) {
    const sub = p[order[j]! * w]!;
    if (out[out.length - 1] !== sub) out.push(sub);
  }
  return out;
}
