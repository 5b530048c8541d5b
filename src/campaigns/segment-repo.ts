import { desc, eq, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { crmBestChannels, crmFindings, crmTiers, pollAnswers, segments, subscribers, subscriptions, usageEvents } from '../db/schema';
import { prepare } from '../db/statement';
import { DAY } from '../lib/clock';
import { COLUMN_FIELDS, type ProfileSchema } from '../subscribers/profile-schema';
import type { SegmentFilter } from './segment-filter';

export type SegmentRow = typeof segments.$inferSelect;

/**
 * A compiled segment filter: a condition over the `subscribers` table, evaluated as of a given time.
 * Opaque to callers: only repositories put it into SQL (a PostgreSQL repository compiles its own).
 */
export interface SegmentWhere {
  readonly sql: SQL;
}

/** Tables other domains own that a filter may read (present only once their schema exists). */
export interface FilterTables {
  subscriptions: boolean;
  /** Open CRM findings (stuck, passive, lapsing, churned) as flags. */
  crmFlags: boolean;
}

const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
const lowerList = (v: string | string[]) => list(v).map((x) => x.toLowerCase());
const values = (vals: readonly (string | number)[]) => sql.join(vals.map((v) => sql`${v}`), sql`, `);
const LIVE_STATES = ['pending', 'active', 'grace', 'suspended'] as const;

/** The subscribers column of a column-backed field (`region`, `crop`, ...). */
const columnOf = (field: string): SQL | null => {
  switch (field) {
    case 'region':
      return sql`${subscribers.region}`;
    case 'crop':
      return sql`${subscribers.crop}`;
    case 'language':
      return sql`${subscribers.language}`;
    case 'operator':
      return sql`${subscribers.operator}`;
    default:
      return null;
  }
};

/**
 * Compiles a validated filter into a condition over `subscribers`, evaluated as of `now`. Set-based on
 * purpose: the same condition counts a segment and fills a campaign run with INSERT ... SELECT.
 */
export function compileFilter(f: SegmentFilter, now: number, tables: FilterTables, schema?: Pick<ProfileSchema, 'field'>): SegmentWhere {
  const s = subscribers;
  const clauses: SQL[] = [];
  for (const field of ['region', 'crop', 'language', 'operator'] as const) {
    const v = f[field];
    if (v === undefined) continue;
    clauses.push(sql`lower(${columnOf(field)}) IN (${values(lowerList(v))})`);
  }
  for (const [field, v] of Object.entries(f.profile ?? {})) {
    const type = schema?.field(field)?.type;
    const path = `$.${field}`;
    const column = (COLUMN_FIELDS as readonly string[]).includes(field) ? columnOf(field) : null;
    if (typeof v === 'object' && !Array.isArray(v)) {
      // Ranges: json_extract compares numbers as numbers and YYYY-MM-DD texts in date order.
      const [lo, hi] = 'from' in v || 'to' in v ? [(v as { from?: string }).from, (v as { to?: string }).to] : [(v as { min?: number }).min, (v as { max?: number }).max];
      const target = column ?? sql`json_extract(${s.profile}, ${path})`;
      if (lo !== undefined) clauses.push(sql`${target} >= ${lo}`);
      if (hi !== undefined) clauses.push(sql`${target} <= ${hi}`);
      continue;
    }
    const vals = lowerList(v);
    if (column) clauses.push(sql`lower(${column}) IN (${values(vals)})`);
    else if (type === 'list') clauses.push(sql`EXISTS (SELECT 1 FROM json_each(${s.profile}, ${path}) j WHERE lower(j.value) IN (${values(vals)}))`);
    else clauses.push(sql`lower(json_extract(${s.profile}, ${path})) IN (${values(vals)})`);
  }
  if (f.ageMin !== undefined || f.ageMax !== undefined) {
    // Age as reached this year: birth years are all the profile knows.
    const year = new Date(now).getUTCFullYear();
    clauses.push(sql`json_type(${s.profile}, '$.birthYear') = 'integer'`);
    if (f.ageMin !== undefined) clauses.push(sql`json_extract(${s.profile}, '$.birthYear') <= ${year - f.ageMin}`);
    if (f.ageMax !== undefined) clauses.push(sql`json_extract(${s.profile}, '$.birthYear') >= ${year - f.ageMax}`);
  }
  if (f.subscriptionState !== undefined || f.service !== undefined) {
    if (!tables.subscriptions) throw new Error('subscription filters need the subscriptions table');
    const states = f.subscriptionState === undefined ? [...LIVE_STATES] : list(f.subscriptionState);
    const service = f.service !== undefined ? sql` AND ${subscriptions.serviceId} = ${f.service}` : sql``;
    const live = states.filter((x) => x !== 'none');
    const parts: SQL[] = [];
    const ofSubscriber = sql`${subscriptions.subscriberId} = ${s.id}`;
    if (live.length > 0) parts.push(sql`EXISTS (SELECT 1 FROM ${subscriptions} WHERE ${ofSubscriber} AND ${subscriptions.state} IN (${values(live)})${service})`);
    // No subscription that is (or is about to be) live: never subscribed, cancelled or expired.
    if (states.includes('none')) parts.push(sql`NOT EXISTS (SELECT 1 FROM ${subscriptions} WHERE ${ofSubscriber} AND ${subscriptions.state} IN (${values(LIVE_STATES)})${service})`);
    clauses.push(parts.length === 1 ? parts[0]! : sql`(${sql.join(parts, sql` OR `)})`);
  }
  // Never-seen subscribers (last_seen_at NULL, e.g. imported) match neither: they were not seen recently
  // and have not gone quiet either (`neverSeen: true` finds them).
  if (f.lastSeenWithinDays !== undefined) clauses.push(sql`${s.lastSeenAt} >= ${Math.round(now - f.lastSeenWithinDays * DAY)}`);
  if (f.notSeenForDays !== undefined) clauses.push(sql`${s.lastSeenAt} < ${Math.round(now - f.notSeenForDays * DAY)}`);
  if (f.neverSeen !== undefined) clauses.push(f.neverSeen ? sql`${s.lastSeenAt} IS NULL` : sql`${s.lastSeenAt} IS NOT NULL`);
  if (f.content) {
    const ue = usageEvents;
    const conds: SQL[] = [sql`${ue.subscriberId} = ${s.id}`, sql`${ue.type} = 'content'`];
    if (f.content.flowId !== undefined) conds.push(sql`${ue.flowId} = ${f.content.flowId}`);
    if (f.content.nodeId !== undefined) conds.push(sql`${ue.nodeId} = ${f.content.nodeId}`);
    if (f.content.withinDays !== undefined) conds.push(sql`${ue.at} >= ${Math.round(now - f.content.withinDays * DAY)}`);
    const sub = sql`SELECT 1 FROM ${ue} WHERE ${sql.join(conds, sql` AND `)}`;
    clauses.push(f.content.reached ? sql`EXISTS (${sub})` : sql`NOT EXISTS (${sub})`);
  }
  if (f.crmFlags !== undefined) {
    if (!tables.crmFlags) throw new Error('CRM flag filters need the CRM findings table');
    const cf = crmFindings;
    clauses.push(sql`EXISTS (SELECT 1 FROM ${cf} WHERE ${cf.subscriberId} = ${s.id} AND ${cf.kind} IN (${values(list(f.crmFlags))}) AND ${cf.closedAt} IS NULL)`);
  }
  if (f.tier !== undefined) {
    // The tier index finds the (few) core subscribers without a look at everyone else.
    clauses.push(sql`${s.id} IN (SELECT ${crmTiers.subscriberId} FROM ${crmTiers} WHERE ${crmTiers.tier} IN (${values(list(f.tier))}))`);
  }
  if (f.bestChannel !== undefined) {
    // Subscribers with no evidence row are unknown too.
    const b = crmBestChannels;
    const wanted = list(f.bestChannel);
    const known = wanted.filter((c) => c !== 'unknown');
    const any: SQL[] = [];
    if (known.length > 0) any.push(sql`EXISTS (SELECT 1 FROM ${b} WHERE ${b.subscriberId} = ${s.id} AND ${b.channel} IN (${values(known)}))`);
    if (wanted.includes('unknown')) any.push(sql`NOT EXISTS (SELECT 1 FROM ${b} WHERE ${b.subscriberId} = ${s.id} AND ${b.channel} <> 'unknown')`);
    clauses.push(sql`(${sql.join(any, sql` OR `)})`);
  }
  if (f.poll) {
    const answered = f.poll.answered ?? true;
    const pa = pollAnswers;
    const which = f.poll.answers && answered ? sql` AND ${pa.answer} IN (${values(f.poll.answers)})` : sql``;
    const sub = sql`SELECT 1 FROM ${pa} WHERE ${pa.pollId} = ${f.poll.pollId} AND ${pa.subscriberId} = ${s.id}${which}`;
    clauses.push(answered ? sql`EXISTS (${sub})` : sql`NOT EXISTS (${sub})`);
  }
  if (!f.includeOptedOut) clauses.push(sql`${s.optedOut} = 0`);
  return { sql: clauses.length > 0 ? sql.join(clauses, sql` AND `) : sql`1 = 1` };
}

/** Saved segments, and who matches a compiled filter (counted or sampled). */
export class SegmentRepo {
  constructor(private readonly db: Db) {}

  /** Saves a new segment. */
  insert(row: SegmentRow): void {
    this.db.insert(segments).values(row).run();
  }

  /** Writes a segment's name, filter and update time. */
  update(row: SegmentRow): void {
    const { id, ...rest } = row;
    this.db.update(segments).set(rest).where(eq(segments.id, id)).run();
  }

  /** Deletes a segment. */
  remove(id: string): void {
    this.db.delete(segments).where(eq(segments.id, id)).run();
  }

  /** The segment or null. */
  find(id: string): SegmentRow | null {
    return this.db.select().from(segments).where(eq(segments.id, id)).get() ?? null;
  }

  /** Segments, newest first. */
  list(limit: number): SegmentRow[] {
    return this.db.select().from(segments).orderBy(desc(segments.createdAt), desc(segments.id)).limit(limit).all();
  }

  /** How many subscribers match. */
  count(where: SegmentWhere): number {
    return prepare<{ n: number }>(this.db, sql`SELECT count(*) AS n FROM ${subscribers} WHERE ${where.sql}`).get()!.n;
  }

  /** The first matching numbers, by subscriber id. */
  sample(where: SegmentWhere, limit: number): string[] {
    return prepare<{ msisdn: string }>(this.db, sql`SELECT ${subscribers.msisdn} AS msisdn FROM ${subscribers} WHERE ${where.sql} ORDER BY ${subscribers.id} LIMIT ${limit}`)
      .all()
      .map((r) => r.msisdn);
  }
}
