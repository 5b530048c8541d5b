import { sql } from 'drizzle-orm';
import type { Database, Statement, Tx } from '../db/database';
import { crmBestChannels, crmFindings, crmInterventions, crmInterventionTiers, crmTiers } from '../db/schema';
import { name } from '../db/statement';
import type { NewIntervention } from './intervention-repo';

const i = crmInterventions;
const f = crmFindings;
const p = (k: string) => sql.placeholder(k);

const INSERT_KEYS = ['id', 'findingId', 'subscriberId', 'kind', 'findingKind', 'serviceId', 'arm', 'channel', 'status', 'reason', 'messageId', 'callId', 'text', 'parts', 'costMinor', 'at', 'windowEndsAt'] as const;

/**
 * What acting on a finding reads and writes, for both engines (src/db/database.ts): the cool-down's last
 * intervention, the subscriber's tier and best channel, the intervention row with its tier note, and the
 * finding's new state (acted, held out, deferred, ineligible). Every write is in the caller's unit of
 * work, so the intervention, its finding and the message or call it queued commit together.
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
