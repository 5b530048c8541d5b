import { sql, type AnyColumn, type SQL } from 'drizzle-orm';
import type { Database, Statement } from '../../db/database';
import type { ReportRange } from '../range';

/**
 * Pieces every report store shares: the day/channel/flow filter of a rollup table, a select list that
 * names its result keys, and statements prepared once per filter shape (a range may or may not name a
 * channel or a flow; each shape is its own statement so the planner sees plain equalities).
 */

/** A row as SQLite returns it, before the store decodes its JSON columns (they are still text). */
export type Stored<T, Json extends keyof T> = Omit<T, Json> & { [K in Json]: string };

/** The columns a rollup table filters on. */
export interface RollupColumns {
  day: AnyColumn;
  channel: AnyColumn;
  flowId: AnyColumn;
}

/** Bound values of a rollup filter (placeholders `fromDay`, `toDay`, `channel`, `flow`). */
export type RollupParams = { fromDay: number; toDay: number; channel: string | null; flow: string | null };

/** Which optional filters a statement carries. */
export interface RollupShape {
  channel: boolean;
  flow: boolean;
}

/** The filter's values for a report range. */
export const rollupParams = (r: ReportRange): RollupParams => ({ fromDay: r.fromDay, toDay: r.toDay, channel: r.channel, flow: r.flow });

/** `day BETWEEN :fromDay AND :toDay [AND channel = :channel] [AND flow_id = :flow]` on table `t`. */
export function rollupWhere(t: RollupColumns, shape: RollupShape): SQL {
  const parts = [sql`${t.day} BETWEEN ${sql.placeholder('fromDay')} AND ${sql.placeholder('toDay')}`];
  if (shape.channel) parts.push(sql`${t.channel} = ${sql.placeholder('channel')}`);
  if (shape.flow) parts.push(sql`${t.flowId} = ${sql.placeholder('flow')}`);
  return sql.join(parts, sql` AND `);
}

/** `a AS "a", b AS "b"`: a select list whose result keys are the object's keys. */
export function fields(cols: Record<string, AnyColumn | SQL>): SQL {
  return sql.join(
    Object.entries(cols).map(([k, c]) => sql`${c} AS ${sql.identifier(k)}`),
    sql`, `,
  );
}

/**
 * One statement per filter shape on a {@link Database} (either engine), each prepared the first time a
 * report needs it.
 */
export class ShapedStatements<Row, Params extends Record<string, unknown>> {
  private readonly cache = new Map<string, Statement<Row, Params>>();

  constructor(
    private readonly db: Database,
    private readonly build: (shape: RollupShape) => SQL,
    private readonly raw = false,
  ) {}

  /** The statement for the range's shape. */
  for(r: Pick<ReportRange, 'channel' | 'flow'>): Statement<Row, Params> {
    const shape = { channel: r.channel !== null, flow: r.flow !== null };
    const key = `${shape.channel ? 'c' : ''}${shape.flow ? 'f' : ''}`;
    let p = this.cache.get(key);
    if (!p) this.cache.set(key, (p = this.db.statement<Row, Params>(this.build(shape), { raw: this.raw })));
    return p;
  }
}
