import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { flowTexts } from '../db/schema';

export type FlowTextRow = typeof flowTexts.$inferSelect;

/** Node texts editors changed: all of them (applied at start), and saving one node's texts. */
export class FlowTextRepo {
  constructor(private readonly db: Db) {}

  all(): FlowTextRow[] {
    return this.db.select().from(flowTexts).all();
  }

  forFlow(flowId: string): FlowTextRow[] {
    return this.db.select().from(flowTexts).where(eq(flowTexts.flowId, flowId)).all();
  }

  /** Replaces a node's texts in the given languages. */
  save(rows: FlowTextRow[]): void {
    this.db.transaction((tx) => {
      for (const r of rows) {
        tx.delete(flowTexts).where(and(eq(flowTexts.flowId, r.flowId), eq(flowTexts.nodeId, r.nodeId), eq(flowTexts.language, r.language))).run();
        tx.insert(flowTexts).values(r).run();
      }
    });
  }
}
