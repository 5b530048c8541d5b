import { sql } from 'drizzle-orm';
import type { Database, Statement, Tx } from '../db/database';
import { json } from '../db/portable';
import { concatParts } from '../db/schema';
import { selectList } from '../db/select-list';
import { name } from '../db/statement';

/** One stored part of a concatenated message. */
export type ConcatPart = Pick<typeof concatParts.$inferSelect, 'seq' | 'total' | 'dataCoding' | 'data'>;

/** What the caller needs to act on the whole message, stored with each part. */
export type ConcatMeta = (typeof concatParts.$inferSelect)['meta'];

/** A stored part as read back: the meta still raw (JSON text on SQLite, parsed jsonb on PostgreSQL). */
type StoredPart = ConcatPart & { meta: unknown };

const p = (n: string) => sql.placeholder(n);
const c = concatParts;

/** The first key of the PostgreSQL advisory locks a group's parts take turns on (the second: the group's hash). */
const GROUP_LOCK = 0x636f6e63; // 'conc'

/**
 * Data access for `concat_parts`, the parts of concatenated SMS waiting for their siblings, on either
 * engine. Statements are prepared once; writes and the reads that decide them run in the caller's unit.
 */
export class ConcatRepo {
  private readonly s: {
    insert: Statement<never, { groupKey: string; seq: number; total: number; dataCoding: number; data: Buffer; meta: string; at: number }>;
    count: Statement<{ n: number }, { groupKey: string }>;
    load: Statement<StoredPart, { groupKey: string }>;
    remove: Statement<never, { groupKey: string }>;
    stale: Statement<{ groupKey: string }, { before: number; limit: number }>;
    firstMeta: Statement<{ meta: unknown }, { groupKey: string }>;
  };
  private readonly groupLock: Statement<unknown, { groupKey: string }> | null;

  constructor(db: Database) {
    // Two processes storing the last two parts at once would each count the other's part as missing (its
    // unit not yet committed) and neither would complete the group. On PostgreSQL the units of one group
    // take turns on a lock, so the second counts after the first has committed. SQLite has one writer.
    this.groupLock = db.dialect === 'postgresql' ? db.statement(sql`SELECT pg_advisory_xact_lock(${GROUP_LOCK}, hashtext(${p('groupKey')})) AS "locked"`) : null;
    this.s = {
      // A part the sender sent again is ignored: the (group, seq) key keeps the first.
      insert: db.statement(
        sql`INSERT INTO ${c} (${name(c.groupKey)}, ${name(c.seq)}, ${name(c.total)}, ${name(c.dataCoding)}, ${name(c.data)}, ${name(c.meta)}, ${name(c.receivedAt)})
          VALUES (${p('groupKey')}, ${p('seq')}, ${p('total')}, ${p('dataCoding')}, ${p('data')}, ${p('meta')}, ${p('at')})
          ON CONFLICT (${name(c.groupKey)}, ${name(c.seq)}) DO NOTHING`,
      ),
      count: db.statement(sql`SELECT count(*) AS "n" FROM ${c} WHERE ${c.groupKey} = ${p('groupKey')}`),
      load: db.statement(sql`SELECT ${selectList(c, ['seq', 'total', 'dataCoding', 'data', 'meta'])} FROM ${c} WHERE ${c.groupKey} = ${p('groupKey')} ORDER BY ${c.seq}`),
      remove: db.statement(sql`DELETE FROM ${c} WHERE ${c.groupKey} = ${p('groupKey')}`),
      stale: db.statement(sql`SELECT DISTINCT ${c.groupKey} AS "groupKey" FROM ${c} WHERE ${c.receivedAt} < ${p('before')} ORDER BY ${c.groupKey} LIMIT ${p('limit')}`),
      firstMeta: db.statement(sql`SELECT ${c.meta} AS "meta" FROM ${c} WHERE ${c.groupKey} = ${p('groupKey')} ORDER BY ${c.id} LIMIT 1`),
    };
  }

  /** Stores a part unless the group has it already (on PostgreSQL after the group's earlier units have committed). */
  async add(part: ConcatPart & { groupKey: string; meta: ConcatMeta; at: number }, tx: Tx): Promise<void> {
    if (this.groupLock) await this.groupLock.get({ groupKey: part.groupKey }, tx);
    await this.s.insert.run({ groupKey: part.groupKey, seq: part.seq, total: part.total, dataCoding: part.dataCoding, data: part.data, meta: JSON.stringify(part.meta), at: part.at }, tx);
  }

  /** How many distinct parts of the group are stored, as unit `tx` sees them. */
  async count(groupKey: string, tx: Tx): Promise<number> {
    return (await this.s.count.get({ groupKey }, tx))!.n;
  }

  /** Removes the group and returns its parts in order with the meta of its lowest part (null when none is stored). */
  async take(groupKey: string, tx: Tx): Promise<{ parts: ConcatPart[]; meta: ConcatMeta | null }> {
    const rows = await this.s.load.all({ groupKey }, tx);
    await this.s.remove.run({ groupKey }, tx);
    return {
      parts: rows.map((r) => ({ seq: r.seq, total: r.total, dataCoding: r.dataCoding, data: r.data })),
      meta: rows[0] ? json<ConcatMeta>(rows[0].meta) : null,
    };
  }

  /** Up to `limit` groups with a part that arrived before `before`. */
  async staleGroups(before: number, limit: number, tx: Tx): Promise<string[]> {
    return (await this.s.stale.all({ before, limit }, tx)).map((r) => r.groupKey);
  }

  /** The meta stored with the group's first-stored part, or null when no part is stored. */
  async firstMeta(groupKey: string, tx: Tx): Promise<ConcatMeta | null> {
    const r = await this.s.firstMeta.get({ groupKey }, tx);
    return r ? json<ConcatMeta>(r.meta) : null;
  }
}
