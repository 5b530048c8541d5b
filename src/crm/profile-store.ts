import { sql } from 'drizzle-orm';
import type { Database, Statement, Tx } from '../db/database';
import { jsonArrayIds } from '../db/portable';
import { subscribers } from '../db/schema';

type Sub = typeof subscribers.$inferSelect;
/** A subscriber's grouping fields as read: id, the four columns, and the profile (JSON text on SQLite, parsed on PostgreSQL). */
type RawProfile = [Sub['id'], Sub['region'], Sub['crop'], Sub['language'], Sub['operator'], unknown];

/** A subscriber's grouping fields: the four columns and the parsed profile (an object, maybe empty). */
export interface ProfileRow {
  region: string | null;
  crop: string | null;
  language: string | null;
  operator: string | null;
  profile: Record<string, unknown>;
}

const COLUMNS = sql`${subscribers.id}, ${subscribers.region}, ${subscribers.crop}, ${subscribers.language}, ${subscribers.operator}, ${subscribers.profile}`;
const stores = new WeakMap<Database, ProfileStore>();

/**
 * Subscriber profiles for the profile rollups, on either engine, read by id in ascending chunks: one read
 * and one JSON parse per subscriber per pass, however many rollups group by the profile.
 */
export class ProfileStore {
  private readonly inRange: Statement<RawProfile, { lo: number; hi: number }>;
  private readonly inList: Statement<RawProfile, { ids: string }>;

  constructor(database: Database) {
    this.inRange = database.statement(sql`SELECT ${COLUMNS} FROM ${subscribers} WHERE ${subscribers.id} BETWEEN ${sql.placeholder('lo')} AND ${sql.placeholder('hi')}`, { raw: true });
    this.inList = database.statement(sql`SELECT ${COLUMNS} FROM ${subscribers} WHERE ${subscribers.id} IN ${jsonArrayIds(database.dialect, sql.placeholder('ids'))}`, { raw: true });
  }

  /** The store of `database` (one per database, so its statements are prepared once). */
  static of(database: Database): ProfileStore {
    let st = stores.get(database);
    if (!st) stores.set(database, (st = new ProfileStore(database)));
    return st;
  }

  /** The rows of `ids` (ascending, distinct): one range read when they are dense, else a list. */
  rows(ids: readonly number[], tx?: Tx): Promise<RawProfile[]> {
    const lo = ids[0]!;
    const hi = ids[ids.length - 1]!;
    if (hi - lo < 4 * ids.length) return this.inRange.all({ lo, hi }, tx);
    return this.inList.all({ ids: JSON.stringify(ids) }, tx);
  }
}

/** A profile that is not a JSON object has no fields to group by. */
function parseProfile(raw: unknown): Record<string, unknown> {
  try {
    const v = typeof raw === 'string' ? (JSON.parse(raw) as unknown) : (raw ?? {});
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // Not JSON: no fields.
  }
  return {};
}

/** Subscribers' profiles in ascending id order, a chunk at a time, each parsed once when first asked for. */
export class ProfileChunks {
  private readonly raw = new Map<number, RawProfile>();
  private readonly parsed = new Map<number, ProfileRow | null>();

  constructor(private readonly store: ProfileStore) {}

  /** Reads the chunk of `ids` (ascending, distinct), dropping the previous one. */
  async load(ids: readonly number[], tx?: Tx): Promise<void> {
    this.raw.clear();
    this.parsed.clear();
    if (ids.length === 0) return;
    for (const r of await this.store.rows(ids, tx)) this.raw.set(r[0], r);
  }

  /** The subscriber's row in the current chunk; null for a subscriber that no longer exists. */
  get(id: number): ProfileRow | null {
    let p = this.parsed.get(id);
    if (p !== undefined) return p;
    const r = this.raw.get(id);
    p = r ? { region: r[1], crop: r[2], language: r[3], operator: r[4], profile: parseProfile(r[5]) } : null;
    this.parsed.set(id, p);
    return p;
  }
}

/**
 * Group codes of one field's value, worked out once per distinct scalar value (a list is worked out each
 * time): a million subscribers share a few hundred values per field.
 */
export class ValueCodes {
  private readonly memo = new Map<string, Map<unknown, number[]>>();

  constructor(private readonly codesOf: (field: string, value: unknown) => number[]) {}

  /** The codes of `value` in `field` (the same array for the same scalar value: do not change it). */
  get(field: string, value: unknown): number[] {
    if (typeof value === 'object' && value !== null) return this.codesOf(field, value);
    let m = this.memo.get(field);
    if (!m) this.memo.set(field, (m = new Map<unknown, number[]>()));
    let c = m.get(value);
    if (c === undefined) m.set(value, (c = this.codesOf(field, value)));
    return c;
  }
}

/** A field's value for grouping: the profile's own value, else the subscriber column of that name (if `columns` has it). */
export function fieldValue(row: ProfileRow, field: string, columns: readonly string[]): unknown {
  if (Object.hasOwn(row.profile, field)) return row.profile[field];
  return columns.includes(field) ? row[field as 'region' | 'crop' | 'language' | 'operator'] : undefined;
}
