import { sql } from 'drizzle-orm';
import type { Database, Statement, Tx } from '../db/database';
import { crmFindings, crmInterventions } from '../db/schema';
import { name } from '../db/statement';
import type { OpenOutcome } from './intervention-store';

const i = crmInterventions;
const f = crmFindings;
const p = sql.placeholder;
type Measured = Pick<OpenOutcome, 'id' | 'reachedContentAt' | 'returnedAt' | 'renewedAt' | 'revenueMinor'>;

/**
 * The outcome windows of interventions, on either engine: the open ones the pass measures, what it
 * measured, and the windows it closes (the interventions themselves are written by intervention-repo.ts).
 */
const outcomeStores = new WeakMap<Database, OutcomeStore>();

export class OutcomeStore {
  private readonly open: Statement<OpenOutcome>;
  private readonly save: Statement<never, Measured>;
  private readonly close: Statement<{ findingId: string }, { before: number }>;
  private readonly release: Statement<never, { ids: string; now: number }>;

  constructor(database: Database) {
    this.open = database.statement(
      sql`SELECT ${i.id} AS "id", ${i.subscriberId} AS "subscriberId", ${i.at} AS "at", ${i.windowEndsAt} AS "windowEndsAt", ${i.reachedContentAt} AS "reachedContentAt",
          ${i.returnedAt} AS "returnedAt", ${i.renewedAt} AS "renewedAt", ${i.revenueMinor} AS "revenueMinor"
          FROM ${i} WHERE NOT ${i.outcomeClosed}`,
    );
    this.save = database.statement(
      sql`UPDATE ${i} SET ${name(i.reachedContentAt)} = ${p('reachedContentAt')}, ${name(i.returnedAt)} = ${p('returnedAt')}, ${name(i.renewedAt)} = ${p('renewedAt')}, ${name(i.revenueMinor)} = ${p('revenueMinor')}
          WHERE ${i.id} = ${p('id')}`,
    );
    // Closing is decided by the statement: a window another pass closed first is not returned twice.
    this.close = database.statement(
      sql`UPDATE ${i} SET ${name(i.outcomeClosed)} = TRUE WHERE NOT ${i.outcomeClosed} AND ${i.windowEndsAt} <= ${p('before')} RETURNING ${i.findingId} AS "findingId"`,
    );
    this.release = database.statement(
      sql`UPDATE ${f} SET ${name(f.closedAt)} = ${p('now')} WHERE ${f.id} IN ${jsonArrayText(database.dialect)} AND ${f.closedAt} IS NULL`,
    );
  }

  /** The store of `database` (one per database, so its statements are prepared once, not once per pass). */
  static of(database: Database): OutcomeStore {
    let st = outcomeStores.get(database);
    if (!st) outcomeStores.set(database, (st = new OutcomeStore(database)));
    return st;
  }

  /** The interventions whose outcome window is still open. */
  openOutcomes(tx?: Tx): Promise<OpenOutcome[]> {
    return this.open.all(undefined, tx);
  }

  /** Writes the outcomes measured so far for one intervention, inside `tx`. */
  async saveOutcome(o: Measured, tx: Tx): Promise<void> {
    await this.save.run({ id: o.id, reachedContentAt: o.reachedContentAt, returnedAt: o.returnedAt, renewedAt: o.renewedAt, revenueMinor: o.revenueMinor }, tx);
  }

  /**
   * Closes the outcome windows that ended at or before `before`; each one's finding is closed at `now`
   * (a finding stays open, so no new finding of its kind is raised, while its outcome is measured).
   * Returns how many.
   */
  async closeOutcomes(before: number, now: number, tx: Tx): Promise<number> {
    const closed = await this.close.all({ before }, tx);
    const ids = closed.map((r) => r.findingId);
    for (let k = 0; k < ids.length; k += 1000) await this.release.run({ ids: JSON.stringify(ids.slice(k, k + 1000)), now }, tx);
    return closed.length;
  }
}

/** The texts of one JSON-array parameter `ids`, as a set for `IN` (finding ids are texts, not integers). */
function jsonArrayText(dialect: Database['dialect']) {
  return dialect === 'sqlite' ? sql`(SELECT value FROM json_each(${p('ids')}))` : sql`(SELECT jsonb_array_elements_text(${p('ids')}::jsonb))`;
}
