import { sql, type SQL } from 'drizzle-orm';
import type { Database, Statement } from '../db/database';
import { json } from '../db/portable';
import { selectList } from '../db/select-list';
import { calls, campaignRecipients, campaignRuns, campaigns, messages, subscribers } from '../db/schema';
import { callPlaced, callState, smsSent } from '../reports/stores/delivery-store';
import type { Campaign, CampaignRun, CampaignStatus, ExposureCount } from './campaign-types';

const p = sql.placeholder;

type PageParams = { runId: number; after: number; limit: number };

/** A recipient as GET /campaigns/:id/recipients shows it (a recipient row joined with its subscriber and delivery). */
export interface RecipientView {
  subscriberId: number;
  msisdn: string;
  status: (typeof campaignRecipients.$inferSelect)['status'];
  ref: string | null;
  reason: string | null;
  at: number | null;
  /** Outbox or call status of what was sent. */
  delivery: string | null;
}
const r = campaignRecipients;
const runs = campaignRuns;

/** The campaigns row as a raw statement returns it: its JSON columns still encoded (text on SQLite). */
type CampaignRow = Omit<Campaign, 'text' | 'arms' | 'goal'> & { text: unknown; arms: unknown; goal: unknown };

const decode = (c: CampaignRow): Campaign => ({ ...c, text: json<Campaign['text']>(c.text), arms: json<Campaign['arms']>(c.arms), goal: json<Campaign['goal']>(c.goal) });

/**
 * What the campaign pages and GET endpoints read, on either engine: campaigns, their runs and what
 * became of each run's messages or calls. Only for paths that read and answer: a write path decides on
 * CampaignStore's reads inside its unit of work.
 */
export class CampaignReadStore {
  private readonly byId: Statement<CampaignRow, { id: string }>;
  private readonly newest: Statement<CampaignRow, { limit: number }>;
  /** One statement per set of statuses asked for (at most one per combination of the six). */
  private readonly newestIn = new Map<string, Statement<CampaignRow, { limit: number }>>();
  private readonly runsOf: Statement<CampaignRun, { campaignId: string; limit: number }>;
  private readonly blocked: Statement<{ reason: string | null; n: number }, { runId: number }>;
  private readonly exposureOf: Record<'sms' | 'call', Statement<ExposureCount, { runId: number }>>;
  private readonly runById: Statement<CampaignRun, { id: number }>;
  /** A page of recipients: of any status, or of one (a separate statement: no untyped NULL test on PostgreSQL). */
  private readonly page: { any: Statement<RecipientView, PageParams>; of: Statement<RecipientView, PageParams & { status: string }> };

  constructor(private readonly db: Database) {
    const c = campaigns;
    const all = selectList(c);
    this.byId = db.statement(sql`SELECT ${all} FROM ${c} WHERE ${c.id} = ${p('id')}`);
    this.newest = db.statement(sql`SELECT ${all} FROM ${c} ORDER BY ${c.createdAt} DESC, ${c.id} DESC LIMIT ${p('limit')}`);
    this.runsOf = db.statement(sql`SELECT ${selectList(runs)} FROM ${runs} WHERE ${runs.campaignId} = ${p('campaignId')} ORDER BY ${runs.id} DESC LIMIT ${p('limit')}`);
    // Sorted by reason, none first (as SQLite's GROUP BY happened to give them), so the object built from
    // the rows has one key order on both engines (PostgreSQL puts NULL last unless told).
    this.blocked = db.statement(
      sql`SELECT ${r.reason} AS "reason", count(*) AS "n" FROM ${r} WHERE ${r.runId} = ${p('runId')} AND ${r.status} = 'blocked' GROUP BY ${r.reason} ORDER BY ${r.reason} NULLS FIRST`,
    );
    // The delivery-state fragments are the reports' own (one definition of each state); counts of a
    // condition are FILTERs because PostgreSQL cannot sum booleans. Ordered by state: one row order on both engines.
    const m = messages;
    this.exposureOf = {
      sms: db.statement(
        sql`SELECT ${m.status} AS "state", count(*) AS "n", sum(${smsSent()}) AS "sent", count(*) FILTER (WHERE ${m.status} = 'delivered') AS "reached"
            FROM ${r} JOIN ${m} ON ${m.id} = ${r.ref} WHERE ${r.runId} = ${p('runId')} GROUP BY ${m.status} ORDER BY 1`,
      ),
      call: db.statement(
        sql`SELECT ${callState()} AS "state", count(*) AS "n", count(*) FILTER (WHERE ${callPlaced()}) AS "sent", count(*) FILTER (WHERE ${calls.answeredAt} IS NOT NULL) AS "reached"
            FROM ${r} JOIN ${calls} ON ${calls.id} = ${r.ref} WHERE ${r.runId} = ${p('runId')} GROUP BY 1 ORDER BY 1`,
      ),
    };
    this.runById = db.statement(sql`SELECT ${selectList(runs)} FROM ${runs} WHERE ${runs.id} = ${p('id')}`);
    const s = subscribers;
    const page = (status: SQL) =>
      sql`SELECT ${r.subscriberId} AS "subscriberId", ${s.msisdn} AS "msisdn", ${r.status} AS "status", ${r.ref} AS "ref", ${r.reason} AS "reason", ${r.at} AS "at",
            coalesce((SELECT ${m.status} FROM ${m} WHERE ${m.id} = ${r.ref}), (SELECT ${calls.status} FROM ${calls} WHERE ${calls.id} = ${r.ref})) AS "delivery"
          FROM ${r} JOIN ${s} ON ${s.id} = ${r.subscriberId}
          WHERE ${r.runId} = ${p('runId')} AND ${r.subscriberId} > ${p('after')}${status} ORDER BY ${r.subscriberId} LIMIT ${p('limit')}`;
    this.page = { any: db.statement(page(sql``)), of: db.statement(page(sql` AND ${r.status} = ${p('status')}`)) };
  }

  /** The campaign or null. */
  async find(id: string): Promise<Campaign | null> {
    const row = await this.byId.get({ id });
    return row ? decode(row) : null;
  }

  /** Campaigns, newest first (ties by id, newest first), optionally only those in `statuses`. */
  async list(limit: number, statuses?: readonly CampaignStatus[]): Promise<Campaign[]> {
    const rows = statuses && statuses.length > 0 ? await this.inStatuses(statuses).all({ limit }) : await this.newest.all({ limit });
    return rows.map(decode);
  }

  /** A campaign's runs, newest first. */
  async runs(campaignId: string, limit = 50): Promise<CampaignRun[]> {
    return this.runsOf.all({ campaignId, limit });
  }

  /** Blocked recipients of a run by reason (opted_out, frequency_cap, ...; `unknown` for none given). */
  async blockedReasons(runId: number): Promise<Record<string, number>> {
    const rows = await this.blocked.all({ runId });
    return Object.fromEntries(rows.map((x) => [x.reason ?? 'unknown', x.n]));
  }

  /**
   * What became of a run's messages (or calls), from the outbox / call rows: per delivery state, how
   * many, how many the SMSC accepted (or the provider placed) and how many reached the subscriber.
   */
  async exposure(runId: number, channel: 'sms' | 'call'): Promise<ExposureCount[]> {
    return this.exposureOf[channel].all({ runId });
  }

  /** The run or null. */
  async run(id: number): Promise<CampaignRun | null> {
    return (await this.runById.get({ id })) ?? null;
  }

  /** Recipients of a run after a subscriber id (ascending), with the outbox or call status of what they were sent. */
  async recipients(runId: number, q: { after: number; limit: number; status?: string | undefined }): Promise<RecipientView[]> {
    const at = { runId, after: q.after, limit: q.limit };
    return q.status ? this.page.of.all({ ...at, status: q.status }) : this.page.any.all(at);
  }

  private inStatuses(statuses: readonly CampaignStatus[]): Statement<CampaignRow, { limit: number }> {
    const wanted = [...new Set(statuses)].sort();
    const key = wanted.join(',');
    let s = this.newestIn.get(key);
    if (!s) {
      const c = campaigns;
      const list: SQL = sql.join(
        wanted.map((x) => sql`${x}`),
        sql`, `,
      );
      s = this.db.statement<CampaignRow, { limit: number }>(
        sql`SELECT ${selectList(c)} FROM ${c} WHERE ${c.status} IN (${list}) ORDER BY ${c.createdAt} DESC, ${c.id} DESC LIMIT ${p('limit')}`,
      );
      this.newestIn.set(key, s);
    }
    return s;
  }
}

