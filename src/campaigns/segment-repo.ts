import { sql, type SQL } from 'drizzle-orm';
import type { Database, Dialect, Statement, Tx } from '../db/database';
import { json, jsonInteger, jsonNumber, jsonText, jsonTextElements } from '../db/portable';
import { crmBestChannels, crmFindings, crmTiers, pollAnswers, segments, subscribers, subscriptions, usageEvents } from '../db/schema';
import { selectList } from '../db/select-list';
import { name } from '../db/statement';
import { DAY } from '../lib/clock';
import { COLUMN_FIELDS, type ProfileSchema } from '../subscribers/profile-schema';
import type { SegmentFilter } from './segment-filter';

export type SegmentRow = typeof segments.$inferSelect;

/**
 * A compiled segment filter: a condition over the `subscribers` table, evaluated as of a given time, in
 * one engine's SQL. Opaque to callers: only repositories and stores put it into SQL.
 */
export interface SegmentWhere {
  readonly sql: SQL;
  /** The engine the condition was compiled for (JSON and boolean expressions differ). */
  readonly dialect: Dialect;
}

/** What a filter compiles against: the engine, and the profile schema (which fields are lists). */
export interface CompileOptions {
  dialect: Dialect;
  schema?: Pick<ProfileSchema, 'field'> | undefined;
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
export function compileFilter(f: SegmentFilter, now: number, tables: FilterTables, opts: CompileOptions): SegmentWhere {
  const { dialect, schema } = opts;
  const s = subscribers;
  const clauses: SQL[] = [];
  for (const field of ['region', 'crop', 'language', 'operator'] as const) {
    const v = f[field];
    if (v === undefined) continue;
    clauses.push(sql`lower(${columnOf(field)}) IN (${values(lowerList(v))})`);
  }
  for (const [field, v] of Object.entries(f.profile ?? {})) {
    const type = schema?.field(field)?.type;
    const column = (COLUMN_FIELDS as readonly string[]).includes(field) ? columnOf(field) : null;
    if (typeof v === 'object' && !Array.isArray(v)) {
      // Ranges: numbers compare as numbers, YYYY-MM-DD texts in date order.
      const dates = 'from' in v || 'to' in v;
      const [lo, hi] = dates ? [(v as { from?: string }).from, (v as { to?: string }).to] : [(v as { min?: number }).min, (v as { max?: number }).max];
      const target = column ?? (dates ? jsonText(dialect, s.profile, field) : jsonNumber(dialect, s.profile, field));
      if (lo !== undefined) clauses.push(sql`${target} >= ${lo}`);
      if (hi !== undefined) clauses.push(sql`${target} <= ${hi}`);
      continue;
    }
    const vals = lowerList(v);
    if (column) clauses.push(sql`lower(${column}) IN (${values(vals)})`);
    else if (type === 'list') clauses.push(sql`EXISTS (SELECT 1 FROM ${jsonTextElements(dialect, s.profile, field)} WHERE lower(j.value) IN (${values(vals)}))`);
    else clauses.push(sql`lower(${jsonText(dialect, s.profile, field)}) IN (${values(vals)})`);
  }
  if (f.ageMin !== undefined || f.ageMax !== undefined) {
    // Age as reached this year: birth years are all the profile knows.
    const year = new Date(now).getUTCFullYear();
    const birthYear = jsonInteger(dialect, s.profile, 'birthYear');
    clauses.push(sql`${birthYear} IS NOT NULL`);
    if (f.ageMin !== undefined) clauses.push(sql`${birthYear} <= ${year - f.ageMin}`);
    if (f.ageMax !== undefined) clauses.push(sql`${birthYear} >= ${year - f.ageMax}`);
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
  // NOT reads a boolean column on both engines (0/1 on SQLite, boolean on PostgreSQL) with nothing to bind.
  if (!f.includeOptedOut) clauses.push(sql`NOT ${s.optedOut}`);
  return { sql: clauses.length > 0 ? sql.join(clauses, sql` AND `) : sql`1 = 1`, dialect };
}

const p = sql.placeholder;

/** The segments row as a raw statement returns it: the filter still encoded (text on SQLite). */
type RawSegment = Omit<SegmentRow, 'filter'> & { filter: unknown };
const decode = (x: RawSegment): SegmentRow => ({ ...x, filter: json<Record<string, unknown>>(x.filter) });

/**
 * Saved segments, and who matches a compiled filter (counted or sampled), on either engine. Writes take
 * the caller's unit of work.
 */
export class SegmentRepo {
  private readonly insertStmt: Statement<never, SegmentParams>;
  private readonly updateStmt: Statement<never, SegmentParams>;
  private readonly removeStmt: Statement<never, { id: string }>;
  private readonly byId: Statement<RawSegment, { id: string }>;
  private readonly newest: Statement<RawSegment, { limit: number }>;

  constructor(private readonly database: Database) {
    const g = segments;
    this.insertStmt = database.statement(
      sql`INSERT INTO ${g} (${name(g.id)}, ${name(g.name)}, ${name(g.filter)}, ${name(g.createdAt)}, ${name(g.updatedAt)})
          VALUES (${p('id')}, ${p('name')}, ${p('filter')}, ${p('createdAt')}, ${p('updatedAt')})`,
    );
    this.updateStmt = database.statement(
      sql`UPDATE ${g} SET ${name(g.name)} = ${p('name')}, ${name(g.filter)} = ${p('filter')}, ${name(g.updatedAt)} = ${p('updatedAt')} WHERE ${g.id} = ${p('id')}`,
    );
    this.removeStmt = database.statement(sql`DELETE FROM ${g} WHERE ${g.id} = ${p('id')}`);
    this.byId = database.statement(sql`SELECT ${selectList(g)} FROM ${g} WHERE ${g.id} = ${p('id')}`);
    this.newest = database.statement(sql`SELECT ${selectList(g)} FROM ${g} ORDER BY ${g.createdAt} DESC, ${g.id} DESC LIMIT ${p('limit')}`);
  }

  /** The engine filters must be compiled for. */
  get dialect(): Dialect {
    return this.database.dialect;
  }

  /** Saves a new segment. */
  async insert(row: SegmentRow, tx: Tx): Promise<void> {
    await this.insertStmt.run(params(row), tx);
  }

  /** Writes a segment's name, filter and update time; false when it is gone. */
  async update(row: SegmentRow, tx: Tx): Promise<boolean> {
    return (await this.updateStmt.run(params(row), tx)) === 1;
  }

  /** Deletes a segment; false when it was already gone. */
  async remove(id: string, tx: Tx): Promise<boolean> {
    return (await this.removeStmt.run({ id }, tx)) === 1;
  }

  /** The segment or null (inside `tx` when given: check-then-act). */
  async find(id: string, tx?: Tx): Promise<SegmentRow | null> {
    const row = await this.byId.get({ id }, tx);
    return row ? decode(row) : null;
  }

  /** Segments, newest first. */
  async list(limit: number): Promise<SegmentRow[]> {
    return (await this.newest.all({ limit })).map(decode);
  }

  /** How many subscribers match. */
  async count(where: SegmentWhere): Promise<number> {
    const row = await this.database.get<{ n: number }>(sql`SELECT count(*) AS "n" FROM ${subscribers} WHERE ${this.check(where).sql}`);
    return Number(row!.n);
  }

  /** The first matching numbers, by subscriber id. */
  async sample(where: SegmentWhere, limit: number): Promise<string[]> {
    const rows = await this.database.all<{ msisdn: string }>(sql`SELECT ${subscribers.msisdn} AS "msisdn" FROM ${subscribers} WHERE ${this.check(where).sql} ORDER BY ${subscribers.id} LIMIT ${limit}`);
    return rows.map((r) => r.msisdn);
  }

  private check(where: SegmentWhere): SegmentWhere {
    if (where.dialect !== this.database.dialect) throw new Error(`segment filter compiled for ${where.dialect}, database is ${this.database.dialect}`);
    return where;
  }
}

type SegmentParams = { id: string; name: string; filter: string; createdAt: number; updatedAt: number };

/** A row's values as statement parameters: the filter as JSON text (SQLite text, PostgreSQL jsonb input). */
const params = (r: SegmentRow): SegmentParams => ({ id: r.id, name: r.name, filter: JSON.stringify(r.filter), createdAt: r.createdAt, updatedAt: r.updatedAt });
