import { sql, type Column, type SQL } from 'drizzle-orm';
import { BatchWriter } from '../db/batch-writer';
import type { Database, Statement, Tx } from '../db/database';
import { json, jsonArrayIds } from '../db/portable';
import { crmSubscribers, subscribers } from '../db/schema';
import { name } from '../db/statement';
import { writeRows } from './batch-rows';
import { ChargeStore, type ChargeEntry } from './charge-store';

export type { ChargeEntry };

/** A stuck session remembered for the stuck detector: [endedAt, channel, flowId, soughtNodeId]. */
export type StuckEntry = [number, string, string, string | null];
export const NONE = -2147483648;
const LOADED = 1;
const DIRTY = 2;
/** Looked up and not found: an event of a subscriber that no longer exists. */
const MISSING = 4;

export const DIMS = ['region', 'crop', 'language', 'operator'] as const;
export type Dim = (typeof DIMS)[number];

const c = crmSubscribers;
const s = subscribers;
/** What a subscriber's activity is loaded from, in this order (one row: an {@link ActivityTuple}). */
const ACTIVITY_COLUMNS = [
  s.id, s.region, s.crop, s.language, s.operator,
  c.firstDay, c.lastDay, c.activeDays, c.sessions, c.ussdSessions, c.ivrSessions, c.contentSessions, c.cleanSessions,
  c.stuckSessions, c.firstContent, c.lastSessionAt, c.lastContentAt, c.stuckRecent, c.chargesRecent,
];
/** The columns a flush writes, in the order of the values it queues. */
const FLUSHED = [
  c.subscriberId, c.firstDay, c.lastDay, c.activeDays, c.sessions, c.ussdSessions, c.ivrSessions, c.contentSessions, c.cleanSessions,
  c.stuckSessions, c.firstContent, c.lastSessionAt, c.lastContentAt, c.stuckRecent, c.chargesRecent, c.updatedAt,
];

type Sub = typeof subscribers.$inferSelect;
type Crm = typeof crmSubscribers.$inferSelect;
/**
 * A subscriber and their activity as raw columns (a million rows as objects would cost more than the
 * query). The activity is null without a crm_subscribers row (LEFT JOIN); the JSON columns are text on
 * SQLite and parsed on PostgreSQL (json() reads both).
 */
type ActivityTuple = [
  Sub['id'], Sub['region'], Sub['crop'], Sub['language'], Sub['operator'],
  Crm['firstDay'], Crm['lastDay'], Crm['activeDays'] | null, Crm['sessions'] | null, Crm['ussdSessions'] | null, Crm['ivrSessions'] | null,
  Crm['contentSessions'] | null, Crm['cleanSessions'] | null, Crm['stuckSessions'] | null, Crm['firstContent'], Crm['lastSessionAt'],
  Crm['lastContentAt'], unknown, unknown,
];

const list = (cols: Column[]): SQL => sql.join(cols, sql`, `);
const names = (cols: Column[]): SQL => sql.join(cols.map((x) => name(x)), sql`, `);
const PAGE_ROWS = 4096;

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
  private readonly some: Statement<ActivityTuple, { ids: string }>;
  private readonly maxId: Statement<{ m: number | null }>;
  private readonly page: Statement<ActivityTuple, { after: number }>;
  private readonly upsert: BatchWriter;
  private dirtyCount = 0;

  constructor(database: Database) {
    ({ some: this.some, maxId: this.maxId, page: this.page, upsert: this.upsert } = ActivityStatements.of(database));
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

  private apply(r: ActivityTuple): void {
    const id = r[0];
    this.grow(id);
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
      const stuck = json<StuckEntry[] | null>(r[17]);
      const charges = json<ChargeEntry[] | null>(r[18]);
      if (stuck) this.stuckRecent.set(id, stuck);
      if (charges) this.charges.set(id, charges);
    }
    this.flags[id]! |= LOADED;
  }

  /** Loads every subscriber at once: cheaper than one query each when a pass touches most of them. */
  async loadAll(): Promise<void> {
    this.grow((await this.maxId.get())?.m ?? 0);
    // Raw arrays, in pages: a million rows as objects would cost more than the query.
    let after = 0;
    for (;;) {
      const rows = await this.page.all({ after });
      for (const r of rows) this.apply(r);
      if (rows.length < PAGE_ROWS) break;
      after = rows[rows.length - 1]![0];
    }
  }

  /**
   * Makes sure the rows of `ids` are in memory, with one query for those not loaded yet (a page of the log
   * at a time, not a query per event); an id without a subscriber is remembered as missing.
   */
  async load(ids: Iterable<number>): Promise<void> {
    const want = new Set<number>();
    for (const id of ids) if (!this.known(id)) want.add(id);
    if (want.size === 0) return;
    let max = 0;
    for (const id of want) if (id > max) max = id;
    this.grow(max);
    for (const r of await this.some.all({ ids: JSON.stringify([...want]) })) this.apply(r);
    for (const id of want) if (!(this.flags[id]! & LOADED)) this.flags[id]! |= MISSING;
  }

  /** Whether the subscriber was looked up: loaded, or found missing. */
  private known(id: number): boolean {
    return id < this.cap && (this.flags[id]! & (LOADED | MISSING)) !== 0;
  }

  /** Whether the subscriber's row is in memory (false for one not loaded yet, or missing). */
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
   * Writes changed rows inside the pass's unit and returns the activity histories (first day, active
   * days, last day) they now have. Remembered stuck sessions and charges older than `keepSince` (charges:
   * per service) are dropped on the way.
   */
  async flush(now: number, tx: Tx, keepSince: { stuck: number; charges: (serviceId: string) => number } = { stuck: 0, charges: () => 0 }): Promise<Set<string>> {
    const histories = new Set<string>();
    if (this.dirtyCount === 0) return histories;
    await writeRows(this.upsert, this.dirtyRows(now, keepSince, histories), tx);
    this.dirtyCount = 0;
    return histories;
  }

  /** The changed rows in FLUSHED order, each marked clean as it is taken; their histories go into `histories`. */
  private *dirtyRows(now: number, keepSince: { stuck: number; charges: (serviceId: string) => number }, histories: Set<string>): Generator<unknown[]> {
    const opt = (v: number) => (v === NONE ? null : v);
    const optF = (v: number) => (Number.isNaN(v) ? null : v);
    for (const id of this.dirtyIds()) {
      if (this.firstDay[id] !== NONE) histories.add(`${this.firstDay[id]},${this.activeDays[id]},${this.lastDay[id]}`);
      const stuck = this.stuckRecent.get(id)?.filter((e) => e[0] >= keepSince.stuck);
      const charges = this.charges.get(id).filter((e) => e[0] >= keepSince.charges(e[1]));
      this.flags[id]! &= ~DIRTY;
      yield [
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
      ];
    }
  }
}

const prepared = new WeakMap<Database, ActivityStatements>();

/** The activity store's statements, prepared once per database (a store is built per pass). */
class ActivityStatements {
  readonly some: Statement<ActivityTuple, { ids: string }>;
  readonly maxId: Statement<{ m: number | null }>;
  readonly page: Statement<ActivityTuple, { after: number }>;
  /** Flushed at the end of every use: it holds no rows between passes. */
  readonly upsert: BatchWriter;

  private constructor(database: Database) {
    const from = sql`FROM ${s} LEFT JOIN ${c} ON ${c.subscriberId} = ${s.id}`;
    this.some = database.statement(sql`SELECT ${list(ACTIVITY_COLUMNS)} ${from} WHERE ${s.id} IN ${jsonArrayIds(database.dialect, sql.placeholder('ids'))}`, { raw: true });
    this.maxId = database.statement(sql`SELECT max(${s.id}) AS "m" FROM ${s}`);
    this.page = database.statement(sql`SELECT ${list(ACTIVITY_COLUMNS)} ${from} WHERE ${s.id} > ${sql.placeholder('after')} ORDER BY ${s.id} LIMIT ${sql.raw(String(PAGE_ROWS))}`, { raw: true });
    const updated = FLUSHED.slice(1).map((x) => sql`${name(x)} = excluded.${name(x)}`);
    this.upsert = new BatchWriter(database, sql`INSERT INTO ${c} (${names(FLUSHED)}) VALUES`, FLUSHED.length, sql`ON CONFLICT(${name(c.subscriberId)}) DO UPDATE SET ${sql.join(updated, sql`, `)}`);
  }

  static of(database: Database): ActivityStatements {
    let st = prepared.get(database);
    if (!st) prepared.set(database, (st = new ActivityStatements(database)));
    return st;
  }
}
