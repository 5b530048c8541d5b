import { sql, type Column } from 'drizzle-orm';
import type { Database, Statement, Tx } from '../db/database';
import { crmContextDaily } from '../db/schema';
import { name } from '../db/statement';

/** One day and node's counts of advice served against its context. */
export interface ContextCounts {
  served: number;
  outsideAny: number;
  outsideMonths: number;
  outsideRegions: number;
  outsideCrops: number;
  regionUnknown: number;
  cropsUnknown: number;
}

type Row = { day: number; flow: string; node: string; served: number; outsideAny: number; outsideMonths: number; outsideRegions: number; outsideCrops: number; regionUnknown: number; cropsUnknown: number };

/** The context rollup's table, on either engine: a pass adds its serves to the day's row of each node. */
const contextStores = new WeakMap<Database, ContextStore>();

export class ContextStore {
  private readonly put: Statement<never, Row>;

  constructor(database: Database) {
    const c = crmContextDaily;
    const p = sql.placeholder;
    const add = (col: Column) => sql`${name(col)} = ${col} + excluded.${name(col)}`;
    this.put = database.statement(
      sql`INSERT INTO ${c} (${name(c.day)}, ${name(c.flowId)}, ${name(c.nodeId)}, ${name(c.served)}, ${name(c.outsideAny)}, ${name(c.outsideMonths)}, ${name(c.outsideRegions)}, ${name(c.outsideCrops)}, ${name(c.regionUnknown)}, ${name(c.cropsUnknown)})
        VALUES (${p('day')}, ${p('flow')}, ${p('node')}, ${p('served')}, ${p('outsideAny')}, ${p('outsideMonths')}, ${p('outsideRegions')}, ${p('outsideCrops')}, ${p('regionUnknown')}, ${p('cropsUnknown')})
        ON CONFLICT (${name(c.day)}, ${name(c.flowId)}, ${name(c.nodeId)}) DO UPDATE SET ${sql.join([c.served, c.outsideAny, c.outsideMonths, c.outsideRegions, c.outsideCrops, c.regionUnknown, c.cropsUnknown].map(add), sql`, `)}`,
    );
  }

  /** The store of `database` (one per database, so its statements are prepared once, not once per pass). */
  static of(database: Database): ContextStore {
    let st = contextStores.get(database);
    if (!st) contextStores.set(database, (st = new ContextStore(database)));
    return st;
  }

  /** Adds one day and node's counts to its row. */
  async add(day: number, flow: string, node: string, n: ContextCounts, tx: Tx): Promise<void> {
    await this.put.run({ day, flow, node, ...n }, tx);
  }
}
