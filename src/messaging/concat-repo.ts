import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { concatParts } from '../db/schema';
import { selectList } from '../db/select-list';
import { name, prepare, type Prepared } from '../db/statement';

/** One stored part of a concatenated message. */
export type ConcatPart = Pick<typeof concatParts.$inferSelect, 'seq' | 'total' | 'dataCoding' | 'data'>;

/** What the caller needs to act on the whole message, stored with each part. */
export type ConcatMeta = (typeof concatParts.$inferSelect)['meta'];

/** A stored part as read back: the meta is still JSON text (parsed once per group, not per part). */
type StoredPart = ConcatPart & { meta: string };

const p = (n: string) => sql.placeholder(n);
const c = concatParts;

/**
 * Data access for `concat_parts`, the parts of concatenated SMS waiting for their siblings. Statements
 * are prepared once; callers run them inside their transaction.
 */
export class ConcatRepo {
  private readonly s: {
    insert: Prepared<never, { groupKey: string; seq: number; total: number; dataCoding: number; data: Buffer; meta: string; at: number }>;
    count: Prepared<{ n: number }, { groupKey: string }>;
    load: Prepared<StoredPart, { groupKey: string }>;
    remove: Prepared<never, { groupKey: string }>;
    stale: Prepared<{ groupKey: string }, { before: number; limit: number }>;
    firstMeta: Prepared<{ meta: string }, { groupKey: string }>;
  };

  constructor(db: Db) {
    this.s = {
      // A part the sender sent again is ignored: the (group, seq) key keeps the first.
      insert: prepare(
        db,
        sql`INSERT INTO ${c} (${name(c.groupKey)}, ${name(c.seq)}, ${name(c.total)}, ${name(c.dataCoding)}, ${name(c.data)}, ${name(c.meta)}, ${name(c.receivedAt)})
          VALUES (${p('groupKey')}, ${p('seq')}, ${p('total')}, ${p('dataCoding')}, ${p('data')}, ${p('meta')}, ${p('at')})
          ON CONFLICT (${name(c.groupKey)}, ${name(c.seq)}) DO NOTHING`,
      ),
      count: prepare(db, sql`SELECT count(*) AS n FROM ${c} WHERE ${c.groupKey} = ${p('groupKey')}`),
      load: prepare(db, sql`SELECT ${selectList(c, ['seq', 'total', 'dataCoding', 'data', 'meta'])} FROM ${c} WHERE ${c.groupKey} = ${p('groupKey')} ORDER BY ${c.seq}`),
      remove: prepare(db, sql`DELETE FROM ${c} WHERE ${c.groupKey} = ${p('groupKey')}`),
      stale: prepare(db, sql`SELECT DISTINCT ${c.groupKey} AS groupKey FROM ${c} WHERE ${c.receivedAt} < ${p('before')} LIMIT ${p('limit')}`),
      firstMeta: prepare(db, sql`SELECT ${c.meta} AS meta FROM ${c} WHERE ${c.groupKey} = ${p('groupKey')} ORDER BY ${c.id} LIMIT 1`),
    };
  }

  /** Stores a part unless the group has it already. */
  add(part: ConcatPart & { groupKey: string; meta: ConcatMeta; at: number }): void {
    this.s.insert.run({ groupKey: part.groupKey, seq: part.seq, total: part.total, dataCoding: part.dataCoding, data: part.data, meta: JSON.stringify(part.meta), at: part.at });
  }

  /** How many distinct parts of the group are stored. */
  count(groupKey: string): number {
    return this.s.count.get({ groupKey })!.n;
  }

  /** Removes the group and returns its parts in order with the meta of its lowest part (null when none is stored). */
  take(groupKey: string): { parts: ConcatPart[]; meta: ConcatMeta | null } {
    const rows = this.s.load.all({ groupKey });
    this.s.remove.run({ groupKey });
    return {
      parts: rows.map((r) => ({ seq: r.seq, total: r.total, dataCoding: r.dataCoding, data: r.data })),
      meta: rows[0] ? (JSON.parse(rows[0].meta) as ConcatMeta) : null,
    };
  }

  /** Up to `limit` groups with a part that arrived before `before`. */
  staleGroups(before: number, limit: number): string[] {
    return this.s.stale.all({ before, limit }).map((r) => r.groupKey);
  }

  /** The meta stored with the group's first-stored part, or null when no part is stored. */
  firstMeta(groupKey: string): ConcatMeta | null {
    const r = this.s.firstMeta.get({ groupKey });
    return r ? (JSON.parse(r.meta) as ConcatMeta) : null;
  }
}
