import { sql } from 'drizzle-orm';
import { BatchWriter } from '../../db/batch-writer';
import type { Database, Statement, Tx } from '../../db/database';
import { jsonArrayIds } from '../../db/portable';
import { crmBestChannels } from '../../db/schema';
import { name } from '../../db/statement';
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

const stores = new WeakMap<Database, BestChannelStore>();

/** crm_best_channels on either engine: one row of channel evidence per subscriber, read and written by the CRM pass. */
export class BestChannelStore {
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
  static of(database: Database): BestChannelStore {
    let st = stores.get(database);
    if (!st) stores.set(database, (st = new BestChannelStore(database)));
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
