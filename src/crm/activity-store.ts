import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/client';
import { BatchInsert } from './batch-insert';
import { ChargeStore, type ChargeEntry } from './charge-store';

export type { ChargeEntry };

/** A stuck session remembered for the stuck detector: [endedAt, channel, flowId, soughtNodeId]. */
export type StuckEntry = [number, string, string, string | null];
export const NONE = -2147483648;
const LOADED = 1;
const DIRTY = 2;

export const DIMS = ['region', 'crop', 'language', 'operator'] as const;
export type Dim = (typeof DIMS)[number];

interface Row {
  id: number;
  region: string | null;
  crop: string | null;
  language: string | null;
  operator: string | null;
  first_day: number | null;
  last_day: number | null;
  active_days: number | null;
  sessions: number | null;
  ussd_sessions: number | null;
  ivr_sessions: number | null;
  content_sessions: number | null;
  clean_sessions: number | null;
  stuck_sessions: number | null;
  first_content: number | null;
  last_session_at: number | null;
  last_content_at: number | null;
  stuck_recent: string | null;
  charges_recent: string | null;
}

type RawRow = [number, string | null, string | null, string | null, string | null, number | null, number | null, number | null, number | null, number | null, number | null, number | null, number | null, number | null, number | null, number | null, number | null, string | null, string | null];

const CRM_COLUMNS = `c.first_day, c.last_day, c.active_days, c.sessions, c.ussd_sessions, c.ivr_sessions, c.content_sessions, c.clean_sessions,
  c.stuck_sessions, c.first_content, c.last_session_at, c.last_content_at, c.stuck_recent, c.charges_recent`;

/**
 * Per-subscriber activity in typed arrays indexed by subscriber id: a full pass over a million
 * subscribers keeps ~100 MB instead of a million objects. Rows are loaded when first touched (or all at
 * once for a large pass) and written back, only when changed, by `flush`.
 */
export class ActivityStore {
  cap = 0;
  firstDay = new Int32Array(0);
  lastDay = new Int32Array(0);
  activeDays = new Int32Array(0);
  sessions = new Int32Array(0);
  ussd = new Int32Array(0);
  ivr = new Int32Array(0);
  content = new Int32Array(0);
  clean = new Int32Array(0);
  stuck = new Int32Array(0);
  firstContent = new Int8Array(0);
  lastSessionAt = new Float64Array(0);
  lastContentAt = new Float64Array(0);
  flags = new Uint8Array(0);
  readonly dims: Record<Dim, Int32Array> = { region: new Int32Array(0), crop: new Int32Array(0), language: new Int32Array(0), operator: new Int32Array(0) };
  readonly stuckRecent = new Map<number, StuckEntry[]>();
  /** Recent charge attempts of paying subscribers. */
  readonly charges = new ChargeStore();
  /** Dimension values by code; code 0 is "unknown". */
  readonly dimValues: string[] = ['unknown'];
  private readonly dimCodes = new Map<string, number>([['unknown', 0]]);
  private readonly one: Statement<[number], Row>;
  private dirtyCount = 0;

  constructor(private readonly db: Db) {
    this.one = db.$client.prepare(`SELECT s.id, s.region, s.crop, s.language, s.operator, ${CRM_COLUMNS}
      FROM subscribers s LEFT JOIN crm_subscribers c ON c.subscriber_id = s.id WHERE s.id = ?`);
  }

  /** Makes room for ids up to `maxId`. */
  grow(maxId: number): void {
    if (maxId < this.cap) return;
    const cap = Math.max(maxId + 1, Math.ceil(this.cap * 1.5), 1024);
    const g = <T extends Int32Array | Int8Array | Float64Array | Uint8Array>(a: T, fill?: number): T => {
      const b = new (a.constructor as new (n: number) => T)(cap);
      if (fill !== undefined) b.fill(fill);
      b.set(a);
      return b;
    };
    this.firstDay = g(this.firstDay, NONE);
    this.lastDay = g(this.lastDay, NONE);
    this.activeDays = g(this.activeDays);
    this.sessions = g(this.sessions);
    this.ussd = g(this.ussd);
    this.ivr = g(this.ivr);
    this.content = g(this.content);
    this.clean = g(this.clean);
    this.stuck = g(this.stuck);
    this.firstContent = g(this.firstContent, -1);
    this.lastSessionAt = g(this.lastSessionAt, NaN);
    this.lastContentAt = g(this.lastContentAt, NaN);
    this.flags = g(this.flags);
    for (const d of DIMS) this.dims[d] = g(this.dims[d]);
    this.charges.grow(cap - 1);
    this.cap = cap;
  }

  private code(v: string | null): number {
    if (v === null || v === '') return 0;
    let c = this.dimCodes.get(v);
    if (c === undefined) {
      c = this.dimValues.length;
      this.dimValues.push(v);
      this.dimCodes.set(v, c);
    }
    return c;
  }

  private apply(r: Row): void {
    const id = r.id;
    this.grow(id);
    this.dims.region[id] = this.code(r.region);
    this.dims.crop[id] = this.code(r.crop);
    this.dims.language[id] = this.code(r.language);
    this.dims.operator[id] = this.code(r.operator);
    if (r.active_days !== null) {
      this.firstDay[id] = r.first_day ?? NONE;
      this.lastDay[id] = r.last_day ?? NONE;
      this.activeDays[id] = r.active_days;
      this.sessions[id] = r.sessions ?? 0;
      this.ussd[id] = r.ussd_sessions ?? 0;
      this.ivr[id] = r.ivr_sessions ?? 0;
      this.content[id] = r.content_sessions ?? 0;
      this.clean[id] = r.clean_sessions ?? 0;
      this.stuck[id] = r.stuck_sessions ?? 0;
      this.firstContent[id] = r.first_content ?? -1;
      this.lastSessionAt[id] = r.last_session_at ?? NaN;
      this.lastContentAt[id] = r.last_content_at ?? NaN;
      if (r.stuck_recent) this.stuckRecent.set(id, JSON.parse(r.stuck_recent) as StuckEntry[]);
      if (r.charges_recent) this.charges.set(id, JSON.parse(r.charges_recent) as ChargeEntry[]);
    }
    this.flags[id]! |= LOADED;
  }

  private applyRaw(r: RawRow): void {
    const id = r[0];
    this.dims.region[id] = this.code(r[1]);
    this.dims.crop[id] = this.code(r[2]);
    this.dims.language[id] = this.code(r[3]);
    this.dims.operator[id] = this.code(r[4]);
    if (r[7] !== null) {
      this.firstDay[id] = r[5] ?? NONE;
      this.lastDay[id] = r[6] ?? NONE;
      this.activeDays[id] = r[7];
      this.sessions[id] = r[8] ?? 0;
      this.ussd[id] = r[9] ?? 0;
      this.ivr[id] = r[10] ?? 0;
      this.content[id] = r[11] ?? 0;
      this.clean[id] = r[12] ?? 0;
      this.stuck[id] = r[13] ?? 0;
      this.firstContent[id] = r[14] ?? -1;
      this.lastSessionAt[id] = r[15] ?? NaN;
      this.lastContentAt[id] = r[16] ?? NaN;
      if (r[17]) this.stuckRecent.set(id, JSON.parse(r[17]) as StuckEntry[]);
      if (r[18]) this.charges.set(id, JSON.parse(r[18]) as ChargeEntry[]);
    }
    this.flags[id]! |= LOADED;
  }

  /** Loads every subscriber at once: cheaper than one query each when a pass touches most of them. */
  loadAll(): void {
    const maxId = (this.db.$client.prepare('SELECT max(id) AS m FROM subscribers').get() as { m: number | null }).m ?? 0;
    this.grow(maxId);
    // Raw arrays, in pages: a million rows as objects would cost more than the query.
    const page = this.db.$client.prepare(`SELECT s.id, s.region, s.crop, s.language, s.operator, ${CRM_COLUMNS} FROM subscribers s LEFT JOIN crm_subscribers c ON c.subscriber_id = s.id WHERE s.id > ? ORDER BY s.id LIMIT 4096`).raw();
    let after = 0;
    for (;;) {
      const rows = page.all(after) as RawRow[];
      for (const r of rows) this.applyRaw(r);
      if (rows.length < 4096) break;
      after = rows[rows.length - 1]![0];
    }
  }

  /** Makes sure the subscriber's row is in memory; false for an unknown subscriber. */
  load(id: number): boolean {
    if (id < this.cap && this.flags[id]! & LOADED) return true;
    const r = this.one.get(id);
    if (!r) return false;
    this.apply(r);
    return true;
  }

  /** Whether the subscriber's row is in memory. */
  loaded(id: number): boolean {
    return id < this.cap && (this.flags[id]! & LOADED) !== 0;
  }

  /** Marks a subscriber changed (written by the next flush). */
  touch(id: number): void {
    if (!(this.flags[id]! & DIRTY)) {
      this.flags[id]! |= DIRTY;
      this.dirtyCount++;
    }
  }

  /** Records a day with activity (sessions, SMS keywords). */
  activeOn(id: number, day: number): void {
    if (this.firstDay[id] === NONE) {
      this.firstDay[id] = day;
      this.lastDay[id] = day;
      this.activeDays[id] = 1;
    } else if (day > this.lastDay[id]!) {
      this.lastDay[id] = day;
      this.activeDays[id]! += 1;
    } else if (day < this.firstDay[id]!) {
      // A late event from before the first known day: it becomes the first day.
      this.firstDay[id] = day;
      this.activeDays[id]! += 1;
    }
    this.touch(id);
  }

  /** Ids changed since the last flush. */
  *dirtyIds(): Generator<number> {
    for (let id = 0; id < this.cap; id++) if (this.flags[id]! & DIRTY) yield id;
  }

  get dirty(): number {
    return this.dirtyCount;
  }

  /**
   * Writes changed rows (call inside a transaction) and returns the activity histories (first day, active
   * days, last day) they now have. Remembered stuck sessions and charges older than `keepSince` (charges:
   * per service) are dropped on the way.
   */
  flush(now: number, keepSince: { stuck: number; charges: (serviceId: string) => number } = { stuck: 0, charges: () => 0 }): Set<string> {
    const histories = new Set<string>();
    if (this.dirtyCount === 0) return histories;
    const stmt = new BatchInsert(
      this.db.$client,
      `INSERT INTO crm_subscribers (subscriber_id, first_day, last_day, active_days, sessions, ussd_sessions, ivr_sessions,
        content_sessions, clean_sessions, stuck_sessions, first_content, last_session_at, last_content_at, stuck_recent, charges_recent, updated_at) VALUES`,
      16,
      `ON CONFLICT(subscriber_id) DO UPDATE SET first_day = excluded.first_day, last_day = excluded.last_day, active_days = excluded.active_days,
        sessions = excluded.sessions, ussd_sessions = excluded.ussd_sessions, ivr_sessions = excluded.ivr_sessions, content_sessions = excluded.content_sessions,
        clean_sessions = excluded.clean_sessions, stuck_sessions = excluded.stuck_sessions, first_content = excluded.first_content,
        last_session_at = excluded.last_session_at, last_content_at = excluded.last_content_at,
        stuck_recent = excluded.stuck_recent, charges_recent = excluded.charges_recent, updated_at = excluded.updated_at`,
    );
    const opt = (v: number) => (v === NONE ? null : v);
    const optF = (v: number) => (Number.isNaN(v) ? null : v);
    for (const id of this.dirtyIds()) {
      if (this.firstDay[id] !== NONE) histories.add(`${this.firstDay[id]},${this.activeDays[id]},${this.lastDay[id]}`);
      const stuck = this.stuckRecent.get(id)?.filter((e) => e[0] >= keepSince.stuck);
      const charges = this.charges.get(id).filter((e) => e[0] >= keepSince.charges(e[1]));
      stmt.add([
        id,
        opt(this.firstDay[id]!),
        opt(this.lastDay[id]!),
        this.activeDays[id]!,
        this.sessions[id]!,
        this.ussd[id]!,
        this.ivr[id]!,
        this.content[id]!,
        this.clean[id]!,
        this.stuck[id]!,
        this.firstContent[id] === -1 ? null : this.firstContent[id]!,
        optF(this.lastSessionAt[id]!),
        optF(this.lastContentAt[id]!),
        stuck && stuck.length ? JSON.stringify(stuck) : null,
        charges.length ? JSON.stringify(charges) : null,
        now,
      ]);
      this.flags[id]! &= ~DIRTY;
    }
    stmt.flush();
    this.dirtyCount = 0;
    return histories;
  }
}
