import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';

/**
 * A SELECT list naming every column of `table` through the schema and aliasing it to its schema key
 * (`"sessions"."external_id" AS "externalId"`), so a raw prepared statement returns rows keyed like
 * `$inferSelect` without drizzle's per-row mapping (hot paths). JSON and boolean columns still come back
 * as stored (text, 0/1): the repository converts those.
 */
export function columnsAsKeys(table: SQLiteTable): SQL {
  const cols = Object.entries(getTableColumns(table));
  return sql.join(
    cols.map(([key, col]) => sql`${col} AS ${sql.identifier(key)}`),
    sql`, `,
  );
}
