import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { crmFindings, crmInterventions } from '../db/schema';
import { name, prepare, type Prepared } from '../db/statement';
import { fields } from '../reports/stores/rollup-store';
import type { NewIntervention, OpenOutcome } from './intervention-store';

// The row types live with the store written for both engines (this repository is the synchronous form the pass still uses).
export type { NewIntervention, OpenOutcome } from './intervention-store';

const i = crmInterventions;
const p = (k: string) => sql.placeholder(k);

/** Interventions: one per finding acted on (or held out), and the outcomes measured in their window. */
export class InterventionRepo {
  private readonly lastAtStmt: Prepared<{ at: number | null }, { subscriberId: number; kind: string }>;
  private readonly insertStmt: Prepared<never, NewIntervention>;
  private readonly openStmt: Prepared<OpenOutcome>;
  private readonly outcomeStmt: Prepared<never, Pick<OpenOutcome, 'id' | 'reachedContentAt' | 'returnedAt' | 'renewedAt' | 'revenueMinor'>>;
  private readonly dueStmt: Prepared<Pick<typeof crmInterventions.$inferSelect, 'id' | 'findingId'>, { before: number }>;
  private readonly closeStmt: Prepared<never, { id: string }>;
  private readonly releaseFindingStmt: Prepared<never, { findingId: string; now: number }>;

  constructor(db: Db) {
    this.lastAtStmt = prepare(db, sql`SELECT max(${i.at}) AS at FROM ${i} WHERE ${i.subscriberId} = ${p('subscriberId')} AND ${i.kind} = ${p('kind')}`);
    const cols = [i.id, i.findingId, i.subscriberId, i.kind, i.findingKind, i.serviceId, i.arm, i.channel, i.status, i.reason, i.messageId, i.callId, i.text, i.parts, i.costMinor, i.at, i.windowEndsAt];
    const keys = ['id', 'findingId', 'subscriberId', 'kind', 'findingKind', 'serviceId', 'arm', 'channel', 'status', 'reason', 'messageId', 'callId', 'text', 'parts', 'costMinor', 'at', 'windowEndsAt'];
    this.insertStmt = prepare(
      db,
      sql`INSERT INTO ${i} (${sql.join(cols.map((c) => name(c)), sql`, `)}) VALUES (${sql.join(keys.map((k) => p(k)), sql`, `)})`,
    );
    this.openStmt = prepare(
      db,
      sql`SELECT ${fields({ id: i.id, subscriberId: i.subscriberId, at: i.at, windowEndsAt: i.windowEndsAt, reachedContentAt: i.reachedContentAt, returnedAt: i.returnedAt, renewedAt: i.renewedAt, revenueMinor: i.revenueMinor })}
          FROM ${i} WHERE ${i.outcomeClosed} = 0`,
    );
    this.outcomeStmt = prepare(
      db,
      sql`UPDATE ${i} SET ${name(i.reachedContentAt)} = ${p('reachedContentAt')}, ${name(i.returnedAt)} = ${p('returnedAt')}, ${name(i.renewedAt)} = ${p('renewedAt')}, ${name(i.revenueMinor)} = ${p('revenueMinor')}
          WHERE ${i.id} = ${p('id')}`,
    );
    this.dueStmt = prepare(db, sql`SELECT ${fields({ id: i.id, findingId: i.findingId })} FROM ${i} WHERE ${i.outcomeClosed} = 0 AND ${i.windowEndsAt} <= ${p('before')}`);
    this.closeStmt = prepare(db, sql`UPDATE ${i} SET ${name(i.outcomeClosed)} = 1 WHERE ${i.id} = ${p('id')}`);
    const f = crmFindings;
    this.releaseFindingStmt = prepare(db, sql`UPDATE ${f} SET ${name(f.closedAt)} = ${p('now')} WHERE ${f.id} = ${p('findingId')} AND ${f.closedAt} IS NULL`);
  }

  /** The repository of `db` (one per connection, so its statements are prepared once). */
  static of(db: Db): InterventionRepo {
    let r = repos.get(db);
    if (!r) repos.set(db, (r = new InterventionRepo(db)));
    return r;
  }

  /** When the subscriber last got an intervention of `kind` (null: never). */
  lastAt(subscriberId: number, kind: string): number | null {
    return this.lastAtStmt.get({ subscriberId, kind })!.at;
  }

  /** Stores the intervention decided on a finding. */
  insert(row: NewIntervention): void {
    this.insertStmt.run(row);
  }

  /** The interventions whose outcome window is still open. */
  openOutcomes(): OpenOutcome[] {
    return this.openStmt.all();
  }

  /** Writes the outcomes measured so far for one intervention. */
  saveOutcome(o: Pick<OpenOutcome, 'id' | 'reachedContentAt' | 'returnedAt' | 'renewedAt' | 'revenueMinor'>): void {
    this.outcomeStmt.run({ id: o.id, reachedContentAt: o.reachedContentAt, returnedAt: o.returnedAt, renewedAt: o.renewedAt, revenueMinor: o.revenueMinor });
  }

  /**
   * Closes the outcome windows that ended at or before `before`; each one's finding is closed at `now`
   * (a finding stays open, so no new finding of its kind is raised, while its outcome is measured).
   * Returns how many.
   */
  closeOutcomes(before: number, now: number): number {
    const due = this.dueStmt.all({ before });
    for (const r of due) {
      this.closeStmt.run({ id: r.id });
      this.releaseFindingStmt.run({ findingId: r.findingId, now });
    }
    return due.length;
  }
}

const repos = new WeakMap<Db, InterventionRepo>();
