import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { calls } from '../db/schema';
import type { MessageKind } from '../messaging/types';
import type { CallStatus } from './types';

/** One outbound call as the queue keeps it (the row, with its kind and status narrowed to the domain's). */
export type CallRow = Omit<typeof calls.$inferSelect, 'kind' | 'status'> & { kind: MessageKind; status: CallStatus };

const p = sql.placeholder;
/** A placeholder per column, bound by the column's property name. */
const placeholders = <K extends string>(keys: readonly K[]) => Object.fromEntries(keys.map((k) => [k, sql`${p(k)}`])) as Record<K, SQL>;
const ALL = Object.keys(getTableColumns(calls)) as (keyof CallRow)[];

/** Statuses during which a call holds one of the simultaneous-call slots. */
export const IN_FLIGHT: readonly CallStatus[] = ['dialing', 'ringing', 'in_progress'];
/** Statuses after which nothing more happens to a call. */
export const FINAL: readonly CallStatus[] = ['completed', 'no_answer', 'busy', 'failed', 'blocked', 'cancelled'];

/**
 * The call queue's one write on the SQLite handle: the insert of CallService.enqueue, the synchronous form
 * the CRM still calls. Everything else reads and writes the calls through CallStore, on either engine.
 */
export class CallRepo {
  private readonly insertStmt;

  constructor(db: Db) {
    this.insertStmt = db.insert(calls).values(placeholders(ALL)).prepare();
  }

  /** Stores a new call. */
  insert(call: CallRow): void {
    this.insertStmt.run(call);
  }
}
