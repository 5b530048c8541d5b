import { sql } from 'drizzle-orm';
import type { Database, Statement, Tx } from '../db/database';
import { crmBestChannels, crmFindings, crmInterventions, crmInterventionTiers, crmTiers } from '../db/schema';
import { name } from '../db/statement';
import { fields } from '../reports/stores/rollup-store';

type Intervention = typeof crmInterventions.$inferSelect;

/** What acting on a finding stores (the decision; delivery is read from the message or call row). */
export type NewIntervention = Pick<
  Intervention,
  'id' | 'findingId' | 'subscriberId' | 'kind' | 'findingKind' | 'serviceId' | 'arm' | 'channel' | 'status' | 'reason' | 'messageId' | 'callId' | 'text' | 'parts' | 'costMinor' | 'at' | 'windowEndsAt'
>;

/** An intervention whose outcome window is open, with the outcomes measured so far. */
export type OpenOutcome = Pick<Intervention, 'id' | 'subscriberId' | 'at' | 'windowEndsAt' | 'reachedContentAt' | 'returnedAt' | 'renewedAt' | 'revenueMinor'>;

const i = crmInterventions;
const f = crmFindings;
const p = (k: string) => sql.placeholder(k);

const INSERT_KEYS = ['id', 'findingId', 'subscriberId', 'kind', 'findingKind', 'serviceId', 'arm', 'channel', 'status', 'reason', 'messageId', 'callId', 'text', 'parts', 'costMinor', 'at', 'windowEndsAt'] as const;

/**
 * What acting on a finding reads and writes, for both engines (src/db/database.ts): the cool-down's last
 * intervention, the subscriber's tier and best channel, the intervention row with its tier note, and the
 * finding's new state (acted, held out, deferred, ineligible). Every write is in the caller's unit of
 * work, so the intervention, its finding and the message or call it queued commit together. Also the
 * outcome windows' side for the pass (src/crm/outcomes.ts): the open windows page by page, the outcomes
 * measured, and closing the windows that ended with their findings.
 */
export class InterventionStore {
  private readonly lastAtStmt: Statement<{ at: number | null }, { subscriberId: number; kind: string }>;
  private readonly insertStmt: Statement<never, NewIntervention>;
  private readonly tierStmt: Statement<{ tier: string }, { id: number }>;
  private readonly noteTierStmt: Statement<never, { id: string; tier: string; at: number }>;
  private readonly channelStmt: Statement<{ channel: string }, { id: number }>;
  private readonly doneStmt: Statement<never, { id: string; status: string; interventionId: string }>;
  private readonly deferStmt: Statement<never, { id: string; notBefore: number }>;
  private readonly ineligibleStmt: Statement<never, { id: string; now: number; reason: string }>;
  private readonly openPage: Statement<OpenOutcome, { after: string; limit: number }>;
  private readonly outcomeStmt: Statement<never, Omit<OpenOutcome, 'subscriberId' | 'at' | 'windowEndsAt'>>;
  private readonly releaseFindings: Statement<never, { before: number; now: number }>;
  private readonly closeWindows: Statement<never, { before: number }>;

  constructor(private readonly database: Database) {
    this.lastAtStmt = database.statement(sql`SELECT max(${i.at}) AS "at" FROM ${i} WHERE ${i.subscriberId} = ${p('subscriberId')} AND ${i.kind} = ${p('kind')}`);
    const cols = INSERT_KEYS.map((k) => name(i[k]));
    this.insertStmt = database.statement(
      sql`INSERT INTO ${i} (${sql.join(cols, sql`, `)}) VALUES (${sql.join(
        INSERT_KEYS.map((k) => p(k)),
        sql`, `,
      )})`,
    );
    this.tierStmt = database.statement(sql`SELECT ${crmTiers.tier} AS "tier" FROM ${crmTiers} WHERE ${crmTiers.subscriberId} = ${p('id')}`);
    const it = crmInterventionTiers;
    // A retried intervention id keeps one note: the latest tier it was decided under.
    this.noteTierStmt = database.statement(
      sql`INSERT INTO ${it} (${name(it.interventionId)}, ${name(it.tier)}, ${name(it.at)}) VALUES (${p('id')}, ${p('tier')}, ${p('at')})
          ON CONFLICT (${name(it.interventionId)}) DO UPDATE SET ${name(it.tier)} = excluded.${name(it.tier)}, ${name(it.at)} = excluded.${name(it.at)}`,
    );
    const bc = crmBestChannels;
    this.channelStmt = database.statement(sql`SELECT ${bc.channel} AS "channel" FROM ${bc} WHERE ${bc.subscriberId} = ${p('id')}`);
    this.doneStmt = database.statement(sql`UPDATE ${f} SET ${name(f.status)} = ${p('status')}, ${name(f.interventionId)} = ${p('interventionId')} WHERE ${f.id} = ${p('id')}`);
    this.deferStmt = database.statement(sql`UPDATE ${f} SET ${name(f.notBefore)} = ${p('notBefore')} WHERE ${f.id} = ${p('id')}`);
    // The reason goes into the finding's detail: json_set on SQLite's text, a merged object on jsonb.
    const detail =
      database.dialect === 'sqlite' ? sql`json_set(${f.detail}, '$.ineligible', ${p('reason')})` : sql`(${f.detail} || jsonb_build_object('ineligible', ${p('reason')}::text))`;
    this.ineligibleStmt = database.statement(sql`UPDATE ${f} SET ${name(f.status)} = 'ineligible', ${name(f.closedAt)} = ${p('now')}, ${name(f.detail)} = ${detail} WHERE ${f.id} = ${p('id')}`);
    const open = { id: i.id, subscriberId: i.subscriberId, at: i.at, windowEndsAt: i.windowEndsAt, reachedContentAt: i.reachedContentAt, returnedAt: i.returnedAt, renewedAt: i.renewedAt, revenueMinor: i.revenueMinor };
    this.openPage = database.statement(sql`SELECT ${fields(open)} FROM ${i} WHERE ${i.outcomeClosed} = false AND ${i.id} > ${p('after')} ORDER BY ${i.id} LIMIT ${p('limit')}`);
    this.outcomeStmt = database.statement(
      sql`UPDATE ${i} SET ${name(i.reachedContentAt)} = ${p('reachedContentAt')}, ${name(i.returnedAt)} = ${p('returnedAt')}, ${name(i.renewedAt)} = ${p('renewedAt')}, ${name(i.revenueMinor)} = ${p('revenueMinor')}
          WHERE ${i.id} = ${p('id')}`,
    );
    // A window's finding is closed with it (it stayed open, so no new finding of its kind was raised, while
    // its outcome was measured): the findings first, while their windows still read as open.
    const ending = sql`${i.outcomeClosed} = false AND ${i.windowEndsAt} <= ${p('before')}`;
    this.releaseFindings = database.statement(
      sql`UPDATE ${f} SET ${name(f.closedAt)} = ${p('now')} WHERE ${f.closedAt} IS NULL AND ${f.id} IN (SELECT ${i.findingId} FROM ${i} WHERE ${ending})`,
    );
    this.closeWindows = database.statement(sql`UPDATE ${i} SET ${name(i.outcomeClosed)} = true WHERE ${ending}`);
  }

  /** When the subscriber last got an intervention of `kind` (null: never); inside `tx`, this unit's own count. */
  async lastAt(subscriberId: number, kind: string, tx?: Tx): Promise<number | null> {
    const row = await this.lastAtStmt.get({ subscriberId, kind }, tx);
    return row?.at === null || row?.at === undefined ? null : Number(row.at);
  }

  /** The subscriber's tier as of the last scoring (null: none stored). */
  async tierOf(subscriberId: number, tx?: Tx): Promise<string | null> {
    return (await this.tierStmt.get({ id: subscriberId }, tx))?.tier ?? null;
  }

  /** The subscriber's best channel as the pass last judged it (undefined: no evidence yet). */
  async bestChannelOf(subscriberId: number, tx?: Tx): Promise<string | undefined> {
    return (await this.channelStmt.get({ id: subscriberId }, tx))?.channel;
  }

  /** Stores the intervention decided on a finding. */
  async insert(row: NewIntervention, tx: Tx): Promise<void> {
    await this.insertStmt.run(row, tx);
  }

  /** Notes the tier an intervention was decided under (the tiers report splits outcomes by it). */
  async noteTier(interventionId: string, tier: string, at: number, tx: Tx): Promise<void> {
    await this.noteTierStmt.run({ id: interventionId, tier, at }, tx);
  }

  /** Records what was done on the finding (acted or held out); it stays open while its outcome is measured. */
  async findingDone(findingId: string, status: 'acted' | 'holdout', interventionId: string, tx: Tx): Promise<void> {
    await this.doneStmt.run({ id: findingId, status, interventionId }, tx);
  }

  /** Moves the finding's earliest action to `notBefore` (a cool-down). */
  async findingDeferred(findingId: string, notBefore: number, tx: Tx): Promise<void> {
    await this.deferStmt.run({ id: findingId, notBefore }, tx);
  }

  /** Closes the finding as not actionable, with the reason in its detail. */
  async findingIneligible(findingId: string, reason: string, now: number, tx: Tx): Promise<void> {
    await this.ineligibleStmt.run({ id: findingId, now, reason }, tx);
  }

  /** Interventions whose outcome window is open, by id after `after` ('' first), at most `limit`: read page by page. */
  openOutcomes(after: string, limit: number, tx?: Tx): Promise<OpenOutcome[]> {
    return this.openPage.all({ after, limit }, tx);
  }

  /** Writes the outcomes measured so far for one intervention. */
  async saveOutcome(o: Omit<OpenOutcome, 'subscriberId' | 'at' | 'windowEndsAt'>, tx: Tx): Promise<void> {
    const { id, reachedContentAt, returnedAt, renewedAt, revenueMinor } = o;
    await this.outcomeStmt.run({ id, reachedContentAt, returnedAt, renewedAt, revenueMinor }, tx);
  }

  /**
   * Closes the outcome windows that ended at or before `before`, and their findings at `now`; returns how
   * many windows. Decided by the statements: a window closed by another pass is not closed again.
   */
  async closeOutcomes(before: number, now: number, tx: Tx): Promise<number> {
    await this.releaseFindings.run({ before, now }, tx);
    return this.closeWindows.run({ before }, tx);
  }

  /**
   * Runs `fn` in a savepoint of unit `tx`: when it throws, only its writes are undone and the unit goes on
   * (one finding whose message is refused does not undo the batch). Both engines spell savepoints the same.
   */
  async isolated<T>(tx: Tx, fn: () => Promise<T>): Promise<T> {
    await tx.run(sql`SAVEPOINT crm_act`);
    let result: T;
    try {
      result = await fn();
    } catch (err) {
      await tx.run(sql`ROLLBACK TO SAVEPOINT crm_act`);
      await tx.run(sql`RELEASE SAVEPOINT crm_act`);
      throw err;
    }
    await tx.run(sql`RELEASE SAVEPOINT crm_act`);
    return result;
  }
}
