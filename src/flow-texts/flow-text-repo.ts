import { sql } from 'drizzle-orm';
import type { Database, Statement, Tx } from '../db/database';
import { flowTexts } from '../db/schema';
import { name as bare } from '../db/statement';

export type FlowTextRow = typeof flowTexts.$inferSelect;

const f = flowTexts;
const p = <N extends string>(n: N) => sql.placeholder(n);
const COLUMNS = sql`${f.flowId} AS "flowId", ${f.nodeId} AS "nodeId", ${f.language} AS "language", ${f.text} AS "text", ${f.updatedAt} AS "updatedAt", ${f.updatedBy} AS "updatedBy"`;

/** Node texts editors changed, on both engines: all of them (applied at start), one flow's, and saving one node's texts. */
export class FlowTextRepo {
  private readonly allStmt: Statement<FlowTextRow>;
  private readonly forFlowStmt: Statement<FlowTextRow, { flowId: string }>;
  private readonly saveStmt: Statement<never, FlowTextRow>;

  constructor(database: Database) {
    this.allStmt = database.statement(sql`SELECT ${COLUMNS} FROM ${f}`);
    this.forFlowStmt = database.statement(sql`SELECT ${COLUMNS} FROM ${f} WHERE ${f.flowId} = ${p('flowId')}`);
    // One statement decides insert or replace, so two editors saving one text at once leave one row, the later one.
    this.saveStmt = database.statement(
      sql`INSERT INTO ${f} (${bare(f.flowId)}, ${bare(f.nodeId)}, ${bare(f.language)}, ${bare(f.text)}, ${bare(f.updatedAt)}, ${bare(f.updatedBy)})
          VALUES (${p('flowId')}, ${p('nodeId')}, ${p('language')}, ${p('text')}, ${p('updatedAt')}, ${p('updatedBy')})
          ON CONFLICT (${bare(f.flowId)}, ${bare(f.nodeId)}, ${bare(f.language)})
          DO UPDATE SET ${bare(f.text)} = excluded.${bare(f.text)}, ${bare(f.updatedAt)} = excluded.${bare(f.updatedAt)}, ${bare(f.updatedBy)} = excluded.${bare(f.updatedBy)}`,
    );
  }

  /** Every stored text. */
  all(): Promise<FlowTextRow[]> {
    return this.allStmt.all();
  }

  /** The stored texts of one flow. */
  forFlow(flowId: string): Promise<FlowTextRow[]> {
    return this.forFlowStmt.all({ flowId });
  }

  /** Replaces a node's texts in the given languages, inside unit `tx`. */
  async save(rows: FlowTextRow[], tx: Tx): Promise<void> {
    for (const r of rows) await this.saveStmt.run(r, tx);
  }
}
