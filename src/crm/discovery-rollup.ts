import type { Db } from '../db/client';
import type { EpisodeOutcome } from './episodes';

/** Episode counts of one discovery group (the rollup's columns, the report's sums). */
export interface DiscoveryCounts {
  episodes: number;
  firstGo: number;
  retried: number;
  notFound: number;
  anyFirstGo: number;
  sessions: number;
}

interface MainAgg extends DiscoveryCounts {
  day: number;
  ch: string;
  flow: string;
  lang: string;
  cohort: string;
  soughtFlow: string;
  node: string;
}

interface ProfileAgg extends DiscoveryCounts {
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
/** Subscribers whose profile is read per query. */
const CHUNK = 500;

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
  private pending = new Int32Array(7 * 4096);
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

  /** Merges everything into the rollup tables (call inside a transaction) and empties the buffers. */
  flush(db: Db): number {
    const c = db.$client;
    const profiles = this.byProfile(db);
    const getMain = c.prepare(`SELECT episodes, first_go, retried, not_found, any_first_go, sessions FROM crm_discovery_daily
      WHERE day = ? AND channel = ? AND flow_id = ? AND language = ? AND cohort = ? AND sought_flow_id = ? AND node_id = ?`);
    const putMain = c.prepare(`INSERT OR REPLACE INTO crm_discovery_daily (day, channel, flow_id, language, cohort, sought_flow_id, node_id,
      episodes, first_go, retried, not_found, any_first_go, sessions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    for (const a of this.main.values()) {
      const o = getMain.get(a.day, a.ch, a.flow, a.lang, a.cohort, a.soughtFlow, a.node) as Record<string, number> | undefined;
      putMain.run(a.day, a.ch, a.flow, a.lang, a.cohort, a.soughtFlow, a.node, ...merged(a, o));
    }
    const getProf = c.prepare(`SELECT episodes, first_go, retried, not_found, any_first_go, sessions FROM crm_discovery_profile_daily
      WHERE day = ? AND channel = ? AND flow_id = ? AND field = ? AND value = ?`);
    const putProf = c.prepare(`INSERT OR REPLACE INTO crm_discovery_profile_daily (day, channel, flow_id, field, value,
      episodes, first_go, retried, not_found, any_first_go, sessions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    for (const a of profiles.values()) {
      const o = getProf.get(a.day, a.ch, a.flow, a.field, a.value) as Record<string, number> | undefined;
      putProf.run(a.day, a.ch, a.flow, a.field, a.value, ...merged(a, o));
    }
    const rows = this.main.size + profiles.size;
    this.main.clear();
    return rows;
  }

  /** Reads the profiles of the pending episodes' subscribers and counts each episode under its values. */
  private byProfile(db: Db): Map<string, ProfileAgg> {
    const out = new Map<string, ProfileAgg>();
    const p = this.pending.subarray(0, this.pendingLen);
    this.pending = new Int32Array(7 * 4096);
    this.pendingLen = 0;
    if (p.length === 0) return out;
    const W = 7;
    // Episodes ordered by subscriber with a native numeric sort: key = subscriber * step + episode index.
    const n = p.length / W;
    const step = 2 ** Math.ceil(Math.log2(n + 1));
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = p[i * W]! * step + i;
    keys.sort();
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = keys[i]! % step;
    const fields = this.profileFields;
    // Field values and (day, channel, flow) triples become small integers, so the hot loop below keys a
    // Map by numbers instead of building a string per episode and field.
    const pairs: [string, string][] = [];
    const pairCodes = new Map<string, Map<string, number>>();
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
    const triples: [number, number, number][] = [];
    const tripleCodes = new Map<number, number>();
    // Per triple, the six counts of every pair code side by side (grown as codes are added).
    const slots: Int32Array[] = [];
    const inRange = db.$client.prepare('SELECT id, region, crop, profile FROM subscribers WHERE id BETWEEN ? AND ?').raw();
    for (let from = 0; from < order.length; ) {
      // The next chunk of distinct subscribers.
      const ids: number[] = [];
      let to = from;
      while (to < order.length && (ids.length < CHUNK || p[order[to]! * W] === ids[ids.length - 1])) {
        const sub = p[order[to]! * W]!;
        if (ids[ids.length - 1] !== sub) ids.push(sub);
        to++;
      }
      // Dense ids (a pass over most of the base) read as one range; sparse ones by list.
      const lo = ids[0]!;
      const hi = ids[ids.length - 1]!;
      const rows = (
        hi - lo < 4 * ids.length ? inRange.all(lo, hi) : db.$client.prepare(`SELECT id, region, crop, profile FROM subscribers WHERE id IN (${ids.map(() => '?').join(',')})`).raw().all(...ids)
      ) as [number, string | null, string | null, string | null][];
      const groups = new Map<number, number[]>();
      for (const [id, region, crop, raw] of rows) {
        let profile: Record<string, unknown> = {};
        try {
          const v = raw ? (JSON.parse(raw) as unknown) : {};
          if (v && typeof v === 'object' && !Array.isArray(v)) profile = v as Record<string, unknown>;
        } catch {
          // A profile that is not JSON has no fields to group by.
        }
        // Region and crop have their own columns; the profile's value wins when it has one.
        const merged: Record<string, unknown> = { ...(region ? { region } : {}), ...(crop ? { crop } : {}), ...profile };
        const codes: number[] = [];
        for (const f of fields ?? Object.keys(merged)) {
          const values = profileValues(merged[f]);
          if (values.length === 0) continue;
          codes.push(pair(f, ''));
          for (const v of values) codes.push(pair(f, v));
        }
        groups.set(id, codes);
      }
      for (let j = from; j < to; j++) {
        const i = order[j]! * W;
        const codes = groups.get(p[i]!);
        if (!codes || codes.length === 0) continue;
        const tk = (p[i + 1]! * 1024 + p[i + 2]!) * 1024 + p[i + 3]!;
        let t = tripleCodes.get(tk);
        if (t === undefined) {
          tripleCodes.set(tk, (t = triples.length));
          triples.push([p[i + 1]!, p[i + 2]!, p[i + 3]!]);
        }
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
      from = to;
    }
    slots.forEach((slot, t) => {
      const [day, ch, flow] = triples[t]!;
      for (let code = 0; code * 6 < slot.length && code < pairs.length; code++) {
        const b = code * 6;
        if (slot[b] === 0) continue;
        const [field, value] = pairs[code]!;
        const counts = { episodes: slot[b]!, firstGo: slot[b + 1]!, retried: slot[b + 2]!, notFound: slot[b + 3]!, anyFirstGo: slot[b + 4]!, sessions: slot[b + 5]! };
        out.set(`${day}|${ch}|${flow}|${field}|${value}`, { day, ch: this.names[ch]!, flow: this.names[flow]!, field, value, ...counts });
      }
    });
    return out;
  }
}

function merged(a: DiscoveryCounts, o: Record<string, number> | undefined): number[] {
  return [
    (o?.episodes ?? 0) + a.episodes,
    (o?.first_go ?? 0) + a.firstGo,
    (o?.retried ?? 0) + a.retried,
    (o?.not_found ?? 0) + a.notFound,
    (o?.any_first_go ?? 0) + a.anyFirstGo,
    (o?.sessions ?? 0) + a.sessions,
  ];
}
