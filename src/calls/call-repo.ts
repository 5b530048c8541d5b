import { and, asc, count, desc, eq, getTableColumns, inArray, isNull, lt, lte, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { calls } from '../db/schema';
import type { MessageKind } from '../messaging/types';
import type { CallStatus } from './types';

/** One outbound call as the queue keeps it (the row, with its kind and status narrowed to the domain's). */
export type CallRow = Omit<typeof calls.$inferSelect, 'kind' | 'status'> & { kind: MessageKind; status: CallStatus };

type Mutable = Omit<CallRow, 'id' | 'subscriberId' | 'msisdn' | 'flowId' | 'startNode' | 'kind' | 'source' | 'sourceRef' | 'createdAt'>;

const p = sql.placeholder;
/** A placeholder per column, bound by the column's property name. */
const placeholders = <K extends string>(keys: readonly K[]) => Object.fromEntries(keys.map((k) => [k, sql`${p(k)}`])) as Record<K, SQL>;
const ALL = Object.keys(getTableColumns(calls)) as (keyof CallRow)[];
const MUTABLE = ALL.filter((k) => !['id', 'subscriberId', 'msisdn', 'flowId', 'startNode', 'kind', 'source', 'sourceRef', 'createdAt'].includes(k)) as (keyof Mutable)[];

/** Statuses during which a call holds one of the simultaneous-call slots. */
export const IN_FLIGHT: readonly CallStatus[] = ['dialing', 'ringing', 'in_progress'];
/** Statuses after which nothing more happens to a call. */
export const FINAL: readonly CallStatus[] = ['completed', 'no_answer', 'busy', 'failed', 'blocked', 'cancelled'];

/** Data access for the call queue (prepared statements: the dispatcher and every voice callback use it). */
export class CallRepo {
  private readonly insertStmt;
  private readonly updateStmt;
  private readonly byId;
  private readonly byRef;
  private readonly unconfirmedTo;
  private readonly dueStmt;
  private readonly inFlightStmt;
  private readonly staleStmt;

  constructor(db: Db) {
    const inFlight = inArray(calls.status, [...IN_FLIGHT]);
    this.insertStmt = db.insert(calls).values(placeholders(ALL)).prepare();
    this.updateStmt = db.update(calls).set(placeholders(MUTABLE)).where(eq(calls.id, p('id'))).prepare();
    this.byId = db.select().from(calls).where(eq(calls.id, p('id'))).prepare();
    this.byRef = db.select().from(calls).where(eq(calls.providerRef, p('ref'))).orderBy(desc(calls.createdAt)).limit(1).prepare();
    this.unconfirmedTo = db
      .select()
      .from(calls)
      .where(and(eq(calls.msisdn, p('msisdn')), eq(calls.status, 'dialing'), isNull(calls.providerRef)))
      .orderBy(desc(calls.dialedAt))
      .limit(1)
      .prepare();
    this.dueStmt = db
      .select()
      .from(calls)
      .where(and(inArray(calls.status, ['queued', 'retry_wait']), lte(calls.nextAttemptAt, p('now'))))
      .orderBy(asc(calls.nextAttemptAt), asc(calls.createdAt))
      .limit(p('limit'))
      .prepare();
    this.inFlightStmt = db.select({ n: count() }).from(calls).where(inFlight).prepare();
    this.staleStmt = db
      .select()
      .from(calls)
      .where(and(inFlight, lt(calls.updatedAt, p('cutoff'))))
      .orderBy(asc(calls.updatedAt))
      .limit(p('limit'))
      .prepare();
  }

  /** Stores a new call. */
  insert(call: CallRow): void {
    this.insertStmt.run(call);
  }

  /** Writes every mutable field of a call. */
  update(call: CallRow): void {
    this.updateStmt.run(call);
  }

  /** The call by our id. */
  findById(id: string): CallRow | null {
    return (this.byId.get({ id }) as CallRow | undefined) ?? null;
  }

  /** The call whose current attempt the provider knows by `ref`. */
  findByProviderRef(ref: string): CallRow | null {
    return (this.byRef.get({ ref }) as CallRow | undefined) ?? null;
  }

  /** The latest call being dialled to a number whose provider id is not known yet. */
  findUnconfirmedTo(msisdn: string): CallRow | null {
    return (this.unconfirmedTo.get({ msisdn }) as CallRow | undefined) ?? null;
  }

  /** Calls whose next attempt is due at `now`, oldest first. */
  due(now: number, limit: number): CallRow[] {
    return this.dueStmt.all({ now, limit }) as CallRow[];
  }

  /** How many calls hold a slot (dialing, ringing, in progress). */
  inFlightCount(): number {
    return this.inFlightStmt.get()?.n ?? 0;
  }

  /** Calls holding a slot that have heard nothing since before `cutoff`. */
  stale(cutoff: number, limit: number): CallRow[] {
    return this.staleStmt.all({ cutoff, limit }) as CallRow[];
  }
}
