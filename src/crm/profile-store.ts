import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { subscribers } from '../db/schema';
import { prepare, type Prepared } from '../db/statement';

type Sub = typeof subscribers.$inferSelect;
/** A subscriber's grouping fields as read: id, the four columns, and the raw profile JSON. */
type RawProfile = [Sub['id'], Sub['region'], Sub['crop'], Sub['language'], Sub['operator'], string | null];

/** A subscriber's grouping fields: the four columns and the parsed profile (an object, maybe empty). */
export interface ProfileRow {
  region: string | null;
  crop: string | null;
  language: string | null;
  operator: string | null;
  profile: Record<string, unknown>;
}

const COLUMNS = sql`${subscribers.id}, ${subscribers.region}, ${subscribers.crop}, ${subscribers.language}, ${subscribers.operator}, ${subscribers.profile}`;

/**
 * Subscriber profiles for the profile rollups, read by id in ascending chunks: one read and one JSON
 * parse per subscriber per pass, however many rollups group by the profile.
 */
export class ProfileStore {
  private readonly inRange: Prepared<RawProfile, { lo: number; hi: number }>;
  private readonly lists = new Map<number, Prepared<RawProfile, Record<string, number>>>();

  constructor(private readonly db: Db) {
    this.inRange = prepare(db, sql`SELECT ${COLUMNS} FROM ${subscribers} WHERE ${subscribers.id} BETWEEN ${sql.placeholder('lo')} AND ${sql.placeholder('hi')}`);
    this.inRange.statement.raw();
  }

  /** The rows of `ids` (ascending, distinct): one range read when they are dense, else a list. */
  rows(ids: readonly number[]): RawProfile[] {
    const lo = ids[0]!;
    const hi = ids[ids.length - 1]!;
    if (hi - lo < 4 * ids.length) return this.inRange.all({ lo, hi });
    let list = this.lists.get(ids.length);
    if (!list) {
      const marks = sql.join(
        ids.map((_, i) => sql.placeholder(`i${i}`)),
        sql`, `,
      );
      list = prepare(this.db, sql`SELECT ${COLUMNS} FROM ${subscribers} WHERE ${subscribers.id} IN (${marks})`);
      list.statement.raw();
      if (this.lists.size < 8) this.lists.set(ids.length, list);
    }
    return list.all(Object.fromEntries(ids.map((id, i) => [`i${i}`, id])));
  }
}

/** A profile that is not a JSON object has no fields to group by. */
function parseProfile(raw: string | null): Record<string, unknown> {
  try {
    const v = raw ? (JSON.parse(raw) as unknown) : {};
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
  load(ids: readonly number[]): void {
    this.raw.clear();
    this.parsed.clear();
    if (ids.length === 0) return;
    for (const r of this.store.rows(ids)) this.raw.set(r[0], r);
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
