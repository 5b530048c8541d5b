import { getTableColumns, sql, type SQL, type Table } from 'drizzle-orm';

/**
 * A table's columns as a select (or RETURNING) list aliased to the schema's property names
 * (`"messages"."due_at" AS "dueAt"`), so a statement from `prepare()` returns rows shaped like
 * `typeof table.$inferSelect` with no per-row mapping. Only for columns whose stored value is the
 * runtime value (integer, text, blob): a JSON- or boolean-mode column still needs mapping.
 */
export function selectList<T extends Table>(table: T, keys?: ReadonlyArray<keyof T['$inferSelect'] & string>): SQL {
  const columns = getTableColumns(table) as Record<string, T['_']['columns'][string]>;
  const picked = keys ?? Object.keys(columns);
  return sql.join(
    picked.map((k) => sql`${columns[k]} AS ${sql.identifier(k)}`),
    sql`, `,
  );
}
