import { sql, type AnyColumn, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { Dialect } from './database';

// The few places where SQLite and PostgreSQL differ, for statements written once for both
// (src/db/database.ts). Everything else is the SQL the two share.

/**
 * A JSON column's value as a raw row returns it, decoded: SQLite stores JSON as text, PostgreSQL's jsonb
 * arrives parsed. null stays null.
 */
export function json<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

/** A boolean column's value as a raw row returns it: 0/1 on SQLite, true/false on PostgreSQL. */
export function bool(value: unknown): boolean {
  return value === true || value === 1;
}

/**
 * The text of a top-level field of a JSON column, or NULL when absent: `json_extract` on SQLite (which
 * returns a JSON string field as text), `->>` on PostgreSQL. A number or boolean field compares as text
 * on PostgreSQL and as a number on SQLite: compare string fields only.
 */
export function jsonText(dialect: Dialect, column: AnyColumn | SQL, field: string): SQL {
  const path = `$.${field}`;
  return dialect === 'sqlite' ? sql`json_extract(${column}, ${path})` : sql`(${column} ->> ${field})`;
}

/**
 * The integers of a JSON array bound as one parameter (`[1,2,3]`), as a set a query can use after `IN`:
 * one statement serves any number of ids.
 */
export function jsonArrayIds(dialect: Dialect, param: SQLWrapper): SQL {
  return dialect === 'sqlite' ? sql`(SELECT value FROM json_each(${param}))` : sql`(SELECT jsonb_array_elements_text(${param}::jsonb)::bigint)`;
}

/**
 * An object decoded from a JSON column, its keys listed in `order` first (those present), then the rest
 * as decoded. PostgreSQL's jsonb keeps object keys sorted by length, then bytes, not in the order they
 * were written (SQLite keeps the text as written): a report that lists an object's keys names the order.
 */
export function keysInOrder<T>(obj: Record<string, T>, order: readonly string[]): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of order) if (Object.hasOwn(obj, k)) out[k] = obj[k]!;
  for (const [k, v] of Object.entries(obj)) if (!Object.hasOwn(out, k)) out[k] = v;
  return out;
}

/**
 * {@link keysInOrder} at every depth of a decoded JSON value, with one list for all levels: for a snapshot
 * or rollup document whose key names do not repeat across levels, the list is the order its writer uses.
 */
export function keysDeepInOrder<T>(value: T, order: readonly string[]): T {
  if (Array.isArray(value)) return value.map((v: unknown) => keysDeepInOrder(v, order)) as T;
  if (value === null || typeof value !== 'object') return value;
  const sorted = keysInOrder(value as Record<string, unknown>, order);
  for (const k of Object.keys(sorted)) sorted[k] = keysDeepInOrder(sorted[k], order);
  return sorted as T;
}

/**
 * The smaller of two values: SQLite's two-argument `min(a, b)`, PostgreSQL's `least(a, b)` (where `min`
 * is only the aggregate). Either is NULL when an argument is on SQLite; `least` ignores NULLs: pass
 * values that are never NULL.
 */
export function least(dialect: Dialect, a: SQL, b: SQL | AnyColumn): SQL {
  return dialect === 'sqlite' ? sql`min(${a}, ${b})` : sql`least(${a}, ${b})`;
}

/**
 * `x` rounded to an integer with halves away from zero, as SQLite's `round(x)` does; PostgreSQL's
 * `round()` of a double rounds halves to even (12.5 -> 12), so there it is spelled out.
 */
export function roundHalfAway(dialect: Dialect, x: SQL): SQL {
  return dialect === 'sqlite' ? sql`round(${x})` : sql`(sign(${x}) * floor(abs(${x}) + 0.5))`;
}

// Campaigns (segment filters, src/campaigns/segment-repo.ts): JSON profile fields read as numbers and lists.

/**
 * A top-level JSON field as a number for range comparisons: SQLite's `json_extract` (a number stays a
 * number), PostgreSQL's `->>` cast to numeric only when the field is a JSON number (NULL otherwise, where
 * a cast of text would fail the whole statement).
 */
export function jsonNumber(dialect: Dialect, column: AnyColumn | SQL, field: string): SQL {
  if (dialect === 'sqlite') return sql`json_extract(${column}, ${`$.${field}`})`;
  return sql`(CASE WHEN jsonb_typeof(${column} -> ${field}) = 'number' THEN (${column} ->> ${field})::numeric END)`;
}

/** A top-level JSON field as an integer when it holds a whole number, NULL otherwise (1990.5, "1990", absent). */
export function jsonInteger(dialect: Dialect, column: AnyColumn | SQL, field: string): SQL {
  const path = `$.${field}`;
  if (dialect === 'sqlite') return sql`(CASE WHEN json_type(${column}, ${path}) = 'integer' THEN json_extract(${column}, ${path}) END)`;
  return sql`(CASE WHEN jsonb_typeof(${column} -> ${field}) = 'number' AND (${column} ->> ${field}) ~ '^-?[0-9]+$' THEN (${column} ->> ${field})::bigint END)`;
}

/**
 * The elements of a top-level JSON array field as texts, for `FROM`: a row source `j` with one column
 * `j.value`. A scalar field counts as a list of one (as SQLite's `json_each` treats it); absent, none.
 */
export function jsonTextElements(dialect: Dialect, column: AnyColumn | SQL, field: string): SQL {
  if (dialect === 'sqlite') return sql`json_each(${column}, ${`$.${field}`}) j`;
  const v = sql`(${column} -> ${field})`;
  return sql`jsonb_array_elements_text(CASE jsonb_typeof(${v}) WHEN 'array' THEN ${v} WHEN 'object' THEN '[]'::jsonb WHEN 'null' THEN '[]'::jsonb ELSE jsonb_build_array(${v}) END) AS j(value)`;
}

// Messaging (outbox claims).

/**
 * `FOR UPDATE SKIP LOCKED` on PostgreSQL, for a subquery that picks rows to claim: two processes
 * claiming at once each skip the rows the other is taking instead of waiting for them. Nothing on
 * SQLite, where units of work take turns on the one writer.
 */
export function forUpdateSkipLocked(dialect: Dialect): SQL {
  return dialect === 'postgresql' ? sql` FOR UPDATE SKIP LOCKED` : sql``;
}
