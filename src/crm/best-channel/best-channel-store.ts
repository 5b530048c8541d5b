import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { BatchWriter } from '../../db/batch-writer';
import type { Database, Statement, Tx } from '../../db/database';
import { jsonArrayIds } from '../../db/portable';
import { crmBestChannels } from '../../db/schema';
import { name, prepare, type Prepared } from '../../db/statement';
import { writeRows } from '../batch-rows';
import type { BestChannelRow } from './evidence';

const p = sql.placeholder;
const t = crmBestChannels;
const COLS = [t.subscriberId, t.smsAttempts, t.smsResponses, t.callAttempts, t.callResponses, t.ussdAttempts, t.ussdResponses, t.smsOpen, t.ussdOpen, t.openUntil, t.channel, t.updatedAt] as const;
const KEYS = ['subscriberId', 'smsAttempts', 'smsResponses', 'callAttempts', 'callResponses', 'ussdAttempts', 'ussdResponses', 'smsOpen', 'ussdOpen', 'openUntil', 'channel', 'updatedAt'] as const;
const SELECT = sql.join(
  COLS.map((c, i) => sql`${c} AS ${sql.raw(`"${KEYS[i]}"`)}`),
  sql`, `,
);

/**
 * crm_best_channels on the synchronous SQLite handle, for the callers not moved to units yet (the
 * interventions' channel choice, the campaign sender); the pass uses {@link BestChannelEvidenceStore}.
 */
export class BestChannelStore {
  private readonly db: Db;
  private readonly one: Prepared<BestChannelRow, { id: number }>;
  private readonly openFrom: Prepared<BestChannelRow, { from: number }>;
  private readonly upsert: Prepared<never, Record<(typeof KEYS)[number], unknown>>;

  constructor(db: Db) {
    this.db = db;
    this.one = prepare(db, sql`SELECT ${SELECT} FROM ${t} WHERE ${t.subscriberId} = ${p('id')}`);
    this.openFrom = prepare(db, sql`SELECT ${SELECT} FROM ${t} WHERE ${t.openUntil} >= ${p('from')}`);
    const cols = sql.join(
      COLS.map((c) => sql`${name(c)}`),
      sql`, `,
    );
    const vals = sql.join(
      KEYS.map((k) => p(k)),
      sql`, `,
    );
    const sets = sql.join(
      COLS.slice(1).map((c) => sql`${name(c)} = excluded.${name(c)}`),
      sql`, `,
    );
    this.upsert = prepare(db, sql`INSERT INTO ${t} (${cols}) VALUES (${vals}) ON CONFLICT(${name(t.subscriberId)}) DO UPDATE SET ${sets}`);
  }

  /** One subscriber's evidence, or undefined. */
  get(subscriberId: number): BestChannelRow | undefined {
    return this.one.get({ id: subscriberId });
  }

  /** Rows whose answer window is still open at `from` (they may take a response from the new events). */
  open(from: number): BestChannelRow[] {
    return this.openFrom.all({ from });
  }

  /** Writes rows (inside the pass's transaction). */
  save(rows: Iterable<BestChannelRow>): number {
    let n = 0;
    for (const r of rows) n += this.upsert.run(r as unknown as Record<(typeof KEYS)[number], unknown>);
    return n;
  }
}

const evidenceStores = new WeakMap<Database, BestChannelEvidenceStore>();

/** crm_best_channels on either engine: one row of channel evidence per subscriber, read and written by the CRM pass. */
export class BestChannelEvidenceStore {
  private readonly one: Statement<BestChannelRow, { id: number }>;
  private readonly some: Statement<BestChannelRow, { ids: string }>;
  private readonly openFrom: Statement<BestChannelRow, { from: number }>;
  private readonly upsert: BatchWriter;

  constructor(database: Database) {
    this.one = database.statement(sql`SELECT ${SELECT} FROM ${t} WHERE ${t.subscriberId} = ${p('id')}`);
    this.some = database.statement(sql`SELECT ${SELECT} FROM ${t} WHERE ${t.subscriberId} IN ${jsonArrayIds(database.dialect, p('ids'))}`);
    this.openFrom = database.statement(sql`SELECT ${SELECT} FROM ${t} WHERE ${t.openUntil} >= ${p('from')}`);
    const cols = sql.join(COLS.map((c) => sql`${name(c)}`), sql`, `);
    const sets = sql.join(COLS.slice(1).map((c) => sql`${name(c)} = excluded.${name(c)}`), sql`, `);
    this.upsert = new BatchWriter(database, sql`INSERT INTO ${t} (${cols}) VALUES`, COLS.length, sql`ON CONFLICT(${name(t.subscriberId)}) DO UPDATE SET ${sets}`);
  }

  /** The store of `database` (one per database, so its statements are prepared once). */
  static of(database: Database): BestChannelEvidenceStore {
    let st = evidenceStores.get(database);
    if (!st) evidenceStores.set(database, (st = new BestChannelEvidenceStore(database)));
    return st;
  }

  /** One subscriber's evidence, or undefined. */
  get(subscriberId: number): Promise<BestChannelRow | undefined> {
    return this.one.get({ id: subscriberId });
  }

  /** The evidence of these subscribers (those without a row are left out). */
  ofSubscribers(ids: readonly number[]): Promise<BestChannelRow[]> {
    return ids.length === 0 ? Promise.resolve([]) : this.some.all({ ids: JSON.stringify(ids) });
  }

  /** The stored best channel of each of these subscribers (those with no row are left out: unknown), in unit `tx` when given. */
  async channelsOf(ids: readonly number[], tx?: Tx): Promise<Map<number, BestChannelRow['channel']>> {
    const out = new Map<number, BestChannelRow['channel']>();
    if (ids.length === 0) return out;
    for (const r of await this.some.all({ ids: JSON.stringify(ids) }, tx)) out.set(r.subscriberId, r.channel);
    return out;
  }

  /** Rows whose answer window is still open at `from` (they may take a response from the new events). */
  open(from: number): Promise<BestChannelRow[]> {
    return this.openFrom.all({ from });
  }

  /** Writes rows inside the pass's unit (one per subscriber with new evidence), a hundred per statement. */
  save(rows: Iterable<BestChannelRow>, tx: Tx): Promise<number> {
    return writeRows(this.upsert, map(rows, (r) => KEYS.map((k) => r[k])), tx);
  }
}

function* map<T, U>(rows: Iterable<T>, fn: (r: T) => U): Generator<U> {
  for (const r of rows) yield fn(r);
}
