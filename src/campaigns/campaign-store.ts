import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { Database, Statement, Tx } from '../db/database';
import { json } from '../db/portable';
import { selectList } from '../db/select-list';
import { campaignRuns, campaigns } from '../db/schema';
import { name } from '../db/statement';
import type { Campaign, CampaignRun, RunStatus } from './campaign-types';

const p = sql.placeholder;
const runs = campaignRuns;
const OPEN_RUN = sql`('pending', 'sending', 'paused')`;

/** The campaigns row as a raw statement returns it: its JSON columns still encoded (text on SQLite). */
type CampaignRow = Omit<Campaign, 'text' | 'arms' | 'goal'> & { text: unknown; arms: unknown; goal: unknown };
type CampaignParams = Record<keyof Campaign, unknown>;

const decode = (c: CampaignRow): Campaign => ({ ...c, text: json<Campaign['text']>(c.text), arms: json<Campaign['arms']>(c.arms), goal: json<Campaign['goal']>(c.goal) });
const JSON_KEYS = ['text', 'arms', 'goal'] as const;
/** A campaign as statement parameters: JSON columns as JSON text (SQLite text, PostgreSQL jsonb input), null kept. */
const encode = (c: Campaign): CampaignParams => {
  const out = { ...c } as CampaignParams;
  for (const k of JSON_KEYS) out[k] = c[k] === null || c[k] === undefined ? null : JSON.stringify(c[k]);
  return out;
};

/**
 * Campaigns and their runs' lifecycle on either engine: create and edit a campaign, create a due run,
 * take, renew and give back a run's lease, move a run's status. Every write takes the caller's unit of
 * work; the writes that two processes could race on decide in the statement itself (an UPDATE ...
 * WHERE on the old state, an INSERT ... ON CONFLICT DO NOTHING), so they hold on PostgreSQL too.
 * The fan-out of a run's recipients is FanoutStore's (src/campaigns/fanout-store.ts).
 */
export class CampaignStore {
  private readonly insertStmt: Statement<never, CampaignParams>;
  private readonly saveStmt: Statement<never, CampaignParams>;
  private readonly byId: Statement<CampaignRow, { id: string }>;
  private readonly dueStmt: Statement<CampaignRow, { now: number }>;
  private readonly onSegment: Statement<{ id: string }, { segmentId: string }>;
  private readonly moveDue: Statement<never, { id: string; dueAt: number; nextRunAt: number | null; now: number }>;
  private readonly newRun: Statement<CampaignRun, { campaignId: string; dueAt: number }>;
  private readonly openRunOf: Statement<CampaignRun, { campaignId: string }>;
  private readonly workableStmt: Statement<CampaignRun, { now: number }>;
  private readonly claimStmt: Statement<never, { runId: number; owner: string; now: number; expiresAt: number }>;
  private readonly releaseStmt: Statement<never, { runId: number; owner: string }>;
  private readonly releaseAllStmt: Statement<never, { owner: string }>;
  private readonly repaceStmt: Statement<never, { runId: number; at: number; deferredUntil: number | null }>;
  private readonly openCounts: Statement<{ status: RunStatus; n: number }>;
  /** One statement per (final or not, set of from-statuses) a caller uses: a handful. */
  private readonly statusStmts = new Map<string, Statement<never, { runId: number; status: RunStatus; now: number }>>();

  constructor(private readonly database: Database) {
    const c = campaigns;
    const cols = Object.entries(getTableColumns(c));
    const all = selectList(c);
    this.insertStmt = database.statement(
      sql`INSERT INTO ${c} (${sql.join(
        cols.map(([, col]) => name(col)),
        sql`, `,
      )}) VALUES (${sql.join(
        cols.map(([k]) => p(k)),
        sql`, `,
      )})`,
    );
    this.saveStmt = database.statement(
      sql`UPDATE ${c} SET ${sql.join(
        cols.filter(([k]) => k !== 'id').map(([k, col]) => sql`${name(col)} = ${p(k)}`),
        sql`, `,
      )} WHERE ${c.id} = ${p('id')}`,
    );
    this.byId = database.statement(sql`SELECT ${all} FROM ${c} WHERE ${c.id} = ${p('id')}`);
    this.dueStmt = database.statement(
      sql`SELECT ${all} FROM ${c} WHERE ${c.status} IN ('scheduled', 'running') AND ${c.nextRunAt} IS NOT NULL AND ${c.nextRunAt} <= ${p('now')} ORDER BY ${c.nextRunAt}, ${c.id}`,
    );
    this.onSegment = database.statement(sql`SELECT ${c.id} AS "id" FROM ${c} WHERE ${c.segmentId} = ${p('segmentId')} AND ${c.status} IN ('draft', 'scheduled', 'running', 'paused') ORDER BY ${c.id}`);
    // Matches the old due time: of two processes firing the same run, one moves the schedule.
    this.moveDue = database.statement(
      sql`UPDATE ${c} SET ${name(c.nextRunAt)} = ${p('nextRunAt')}, ${name(c.status)} = 'running', ${name(c.runs)} = ${c.runs} + 1, ${name(c.lastRunAt)} = ${p('now')}, ${name(c.updatedAt)} = ${p('now')}
          WHERE ${c.id} = ${p('id')} AND ${c.nextRunAt} = ${p('dueAt')} AND ${c.status} IN ('scheduled', 'running')`,
    );
    this.newRun = database.statement(
      sql`INSERT INTO ${runs} (${name(runs.campaignId)}, ${name(runs.dueAt)}, ${name(runs.status)}) VALUES (${p('campaignId')}, ${p('dueAt')}, 'pending')
          ON CONFLICT (${name(runs.campaignId)}, ${name(runs.dueAt)}) DO NOTHING RETURNING ${selectList(runs)}`,
    );
    this.openRunOf = database.statement(sql`SELECT ${selectList(runs)} FROM ${runs} WHERE ${runs.campaignId} = ${p('campaignId')} AND ${runs.status} IN ${OPEN_RUN} ORDER BY ${runs.id} LIMIT 1`);
    this.workableStmt = database.statement(
      sql`SELECT ${selectList(runs)} FROM ${runs}
          WHERE ${runs.status} IN ('pending', 'sending')
            AND (${runs.deferredUntil} IS NULL OR ${runs.deferredUntil} <= ${p('now')})
            AND (${runs.leaseOwner} IS NULL OR ${runs.leaseExpiresAt} <= ${p('now')})
            AND NOT EXISTS (SELECT 1 FROM ${runs} "older" WHERE "older".${name(runs.campaignId)} = ${runs.campaignId} AND "older".${name(runs.id)} < ${runs.id} AND "older".${name(runs.status)} IN ${OPEN_RUN})
          ORDER BY ${runs.id}`,
    );
    // The lease is taken by the UPDATE alone: of two processes, the one whose UPDATE matched holds it.
    this.claimStmt = database.statement(
      sql`UPDATE ${runs} SET ${name(runs.leaseOwner)} = ${p('owner')}, ${name(runs.leaseExpiresAt)} = ${p('expiresAt')}
          WHERE ${runs.id} = ${p('runId')} AND ${runs.status} IN ('pending', 'sending')
            AND (${runs.leaseOwner} IS NULL OR ${runs.leaseOwner} = ${p('owner')} OR ${runs.leaseExpiresAt} <= ${p('now')})`,
    );
    this.releaseStmt = database.statement(sql`UPDATE ${runs} SET ${name(runs.leaseOwner)} = NULL, ${name(runs.leaseExpiresAt)} = NULL WHERE ${runs.id} = ${p('runId')} AND ${runs.leaseOwner} = ${p('owner')}`);
    this.releaseAllStmt = database.statement(sql`UPDATE ${runs} SET ${name(runs.leaseOwner)} = NULL, ${name(runs.leaseExpiresAt)} = NULL WHERE ${runs.leaseOwner} = ${p('owner')}`);
    this.repaceStmt = database.statement(
      sql`UPDATE ${runs} SET ${name(runs.paceFromAt)} = ${p('at')}, ${name(runs.paceFromCount)} = ${runs.queued} + ${runs.blocked}, ${name(runs.deferredUntil)} = ${p('deferredUntil')} WHERE ${runs.id} = ${p('runId')}`,
    );
    this.openCounts = database.statement(sql`SELECT ${runs.status} AS "status", count(*) AS "n" FROM ${runs} WHERE ${runs.status} IN ${OPEN_RUN} GROUP BY ${runs.status} ORDER BY 1`);
  }

  /** Inserts a campaign. */
  async insert(c: Campaign, tx: Tx): Promise<void> {
    await this.insertStmt.run(encode(c), tx);
  }

  /** Writes a campaign's fields. */
  async save(c: Campaign, tx: Tx): Promise<void> {
    await this.saveStmt.run(encode(c), tx);
  }

  /** The campaign or null (inside `tx` when it decides a write). */
  async find(id: string, tx?: Tx): Promise<Campaign | null> {
    const row = await this.byId.get({ id }, tx);
    return row ? decode(row) : null;
  }

  /** Ids of campaigns that can still run on a segment. */
  async activeOnSegment(segmentId: string, tx?: Tx): Promise<string[]> {
    return (await this.onSegment.all({ segmentId }, tx)).map((x) => x.id);
  }

  /** Campaigns whose next run is due, soonest first. */
  async due(now: number): Promise<Campaign[]> {
    return (await this.dueStmt.all({ now })).map(decode);
  }

  /**
   * Moves the campaign's schedule past a due time and creates the run for it, unless another process
   * already did (the UPDATE matches the old due time; the run is unique per due time): null then.
   */
  async createRun(c: Pick<Campaign, 'id'>, dueAt: number, nextRunAt: number | null, now: number, tx: Tx): Promise<CampaignRun | null> {
    if ((await this.moveDue.run({ id: c.id, dueAt, nextRunAt, now }, tx)) !== 1) return null;
    return (await this.newRun.get({ campaignId: c.id, dueAt }, tx)) ?? null;
  }

  /** The campaign's oldest unfinished run (pending, sending or paused), or null. */
  async openRun(campaignId: string, tx?: Tx): Promise<CampaignRun | null> {
    return (await this.openRunOf.get({ campaignId }, tx)) ?? null;
  }

  /**
   * Runs to work on now: pending or sending, not held by quiet hours, not leased by a live process,
   * and the oldest of their campaign (a cron run waits for the previous one to finish).
   */
  async workable(now: number): Promise<CampaignRun[]> {
    return this.workableStmt.all({ now });
  }

  /** Takes the run's lease for `owner` if it is free, its own or expired; true when taken. */
  async claim(runId: number, owner: string, now: number, expiresAt: number, tx: Tx): Promise<boolean> {
    return (await this.claimStmt.run({ runId, owner, now, expiresAt }, tx)) === 1;
  }

  /** Gives the lease back (a no-op if another process holds it). */
  async release(runId: number, owner: string, tx: Tx): Promise<void> {
    await this.releaseStmt.run({ runId, owner }, tx);
  }

  /** Gives back every lease this process holds (graceful stop). */
  async releaseAll(owner: string, tx: Tx): Promise<void> {
    await this.releaseAllStmt.run({ owner }, tx);
  }

  /** Sets a run's status (and finish time for final ones), if it is in one of `from`; true when set. */
  async setRunStatus(runId: number, status: RunStatus, now: number, from: RunStatus[], tx: Tx): Promise<boolean> {
    return (await this.statusStatement(status === 'done' || status === 'cancelled', from).run({ runId, status, now }, tx)) === 1;
  }

  /** Restarts rate pacing from `at` (after a pause or quiet hours) and sets or clears the quiet-hours hold. */
  async repace(runId: number, at: number, deferredUntil: number | null, tx: Tx): Promise<void> {
    await this.repaceStmt.run({ runId, at, deferredUntil }, tx);
  }

  /** How many runs are pending, sending or paused (for the metrics gauge). */
  async openRunCounts(): Promise<{ status: RunStatus; n: number }[]> {
    return (await this.openCounts.all()).map((x) => ({ status: x.status, n: Number(x.n) }));
  }

  private statusStatement(final: boolean, from: RunStatus[]): Statement<never, { runId: number; status: RunStatus; now: number }> {
    const key = `${final}:${from.join(',')}`;
    let st = this.statusStmts.get(key);
    if (!st) {
      const set: SQL = final
        ? sql`${name(runs.status)} = ${p('status')}, ${name(runs.finishedAt)} = ${p('now')}, ${name(runs.leaseOwner)} = NULL, ${name(runs.leaseExpiresAt)} = NULL`
        : sql`${name(runs.status)} = ${p('status')}`;
      // Statuses are the schema's enum values, never user input: inlined so the statement is prepared once per set.
      const inFrom = from.length > 0 ? sql` AND ${runs.status} IN (${sql.join(from.map((s) => sql.raw(`'${s}'`)), sql`, `)})` : sql``;
      st = this.database.statement(sql`UPDATE ${runs} SET ${set} WHERE ${runs.id} = ${p('runId')}${inFrom}`);
      this.statusStmts.set(key, st);
    }
    return st;
  }
}
