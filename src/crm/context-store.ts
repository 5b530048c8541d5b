import { sql, type Column } from 'drizzle-orm';
import type { Db } from '../db/client';
import { crmContextDaily } from '../db/schema';
import { name, prepare, type Prepared } from '../db/statement';

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

/** The context rollup's table: a pass adds its serves to the day's row of each node. */
export class ContextStore {
  private readonly put: Prepared<never, Row>;

  constructor(db: Db) {
    const c = crmContextDaily;
    const p = sql.placeholder;
    const add = (col: Column) => sql`${name(col)} = ${name(col)} + excluded.${name(col)}`;
    this.put = prepare(
      db,
      sql`INSERT INTO ${c} (${name(c.day)}, ${name(c.flowId)}, ${name(c.nodeId)}, ${name(c.served)}, ${name(c.outsideAny)}, ${name(c.outsideMonths)}, ${name(c.outsideRegions)}, ${name(c.outsideCrops)}, ${name(c.regionUnknown)}, ${name(c.cropsUnknown)})
        VALUES (${p('day')}, ${p('flow')}, ${p('node')}, ${p('served')}, ${p('outsideAny')}, ${p('outsideMonths')}, ${p('outsideRegions')}, ${p('outsideCrops')}, ${p('regionUnknown')}, ${p('cropsUnknown')})
        ON CONFLICT (${name(c.day)}, ${name(c.flowId)}, ${name(c.nodeId)}) DO UPDATE SET ${sql.join([c.served, c.outsideAny, c.outsideMonths, c.outsideRegions, c.outsideCrops, c.regionUnknown, c.cropsUnknown].map(add), sql`, `)}`,
    );
  }

  /** Adds one day and node's counts to its row. */
  add(day: number, flow: string, node: string, n: ContextCounts): void {
    this.put.run({ day, flow, node, ...n });
  }
}
