import { sql } from 'drizzle-orm';
import type { Database, Statement, Tx } from '../db/database';
import { crmBestChannels, crmInterventions, crmInterventionTiers, crmTiers } from '../db/schema';
import { name } from '../db/statement';

type Intervention = typeof crmInterventions.$inferSelect;

/** What acting on a finding stores (the decision; delivery is read from the message or call row). */
export type NewIntervention = Pick<
  Intervention,
  'id' | 'findingId' | 'subscriberId' | 'kind' | 'findingKind' | 'serviceId' | 'arm' | 'channel' | 'status' | 'reason' | 'messageId' | 'callId' | 'text' | 'parts' | 'costMinor' | 'at' | 'windowEndsAt'
>;

/** An intervention whose outcome window is open, with the outcomes measured so far. */
export type OpenOutcome = Pick<Intervention, 'id' | 'subscriberId' | 'at' | 'windowEndsAt' | 'reachedContentAt' | 'returnedAt' | 'renewedAt' | 'revenueMinor'>;

const i = crmInterventions;
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

}
