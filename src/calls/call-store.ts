import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { Database, Statement, Tx } from '../db/database';
import { callDials, calls } from '../db/schema';
import { name as bare } from '../db/statement';
import { IN_FLIGHT, type CallRow } from './types';

const p = <N extends string>(n: N) => sql.placeholder(n);
const c = calls;
const COLUMNS = getTableColumns(calls);
const KEYS = Object.keys(COLUMNS) as (keyof CallRow)[];
const FIXED: readonly (keyof CallRow)[] = ['id', 'subscriberId', 'msisdn', 'flowId', 'startNode', 'kind', 'source', 'sourceRef', 'createdAt'];
const MUTABLE = KEYS.filter((k) => !FIXED.includes(k));
/** Every column under its property name: the row a raw query returns is a CallRow on both engines. */
const SELECT = sql.join(
  KEYS.map((k) => sql`${COLUMNS[k]} AS ${sql.identifier(k)}`),
  sql`, `,
);
const list = (values: readonly string[]) =>
  sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  );
/** A call whose next attempt is due: only such a row may be claimed, by one claimer. */
const DUE = sql`${c.status} IN ('queued', 'retry_wait') AND ${c.nextAttemptAt} <= ${p('now')}`;

type Id = { id: string };
/** The PostgreSQL advisory lock claims of a dial take turns on, so the in-flight count a claim checks is the truth. */
const SLOT_LOCK = 0x63616c6c; // 'call'
type Claim = Id & { now: number };

/** The calls-per-second limit a dial claim checks across processes: `perSecond` dials in the real second before `wall` (ms). */
export interface DialRate {
  perSecond: number;
  wall: number;
}

/**
 * The call queue on both engines (src/db/database.ts). A due call leaves the queue through one of the
 * claim statements below: each moves the row only if it is still due, in the statement itself, so of
 * two dispatchers (two processes on PostgreSQL) that saw the same due call one moves it and the other
 * gets no row back: a call is never dialled twice for one attempt.
 */
export class CallStore {
  private readonly insertStmt: Statement<never, CallRow>;
  private readonly updateStmt: Statement<never, Omit<CallRow, Exclude<(typeof FIXED)[number], 'id'>>>;
  private readonly byIdStmt: Statement<CallRow, Id>;
  private readonly lockStmt: Statement<CallRow, Id>;
  private readonly refStmt: Statement<never, Id & { attempts: number; ref: string; now: number }>;
  private readonly byRefStmt: Statement<CallRow, { ref: string }>;
  private readonly unconfirmedStmt: Statement<CallRow, { msisdn: string; ref: string | null }>;
  private readonly dueStmt: Statement<CallRow, { now: number; limit: number }>;
  private readonly inFlightStmt: Statement<{ n: number }>;
  private readonly staleStmt: Statement<CallRow, { cutoff: number; limit: number }>;
  private readonly dialStmt: Statement<CallRow, Claim & { provider: string; max: number }>;
  private readonly slotLock: Statement<unknown> | null;
  private readonly blockStmt: Statement<CallRow, Claim & { reason: string }>;
  private readonly deferStmt: Statement<CallRow, Claim & { reason: string; until: number }>;
  private readonly pruneDialsStmt: Statement<never, { since: number }>;
  private readonly dialsStmt: Statement<{ n: number }, { since: number }>;
  private readonly dialedStmt: Statement<never, { id: string; attempt: number; at: number }>;

  constructor(database: Database) {
    const inFlight = sql`${c.status} IN (${list(IN_FLIGHT)})`;
    this.insertStmt = database.statement(
      sql`INSERT INTO ${c} (${sql.join(
        KEYS.map((k) => bare(COLUMNS[k])),
        sql`, `,
      )}) VALUES (${sql.join(
        KEYS.map((k) => p(k)),
        sql`, `,
      )})`,
    );
    this.updateStmt = database.statement(
      sql`UPDATE ${c} SET ${sql.join(
        MUTABLE.map((k) => sql`${bare(COLUMNS[k])} = ${p(k)}`),
        sql`, `,
      )} WHERE ${c.id} = ${p('id')}`,
    );
    this.byIdStmt = database.statement(sql`SELECT ${SELECT} FROM ${c} WHERE ${c.id} = ${p('id')}`);
    // Read to change: on PostgreSQL the row stays locked until the unit ends (a callback and the dispatcher
    // may change one call at once); on SQLite units already take turns.
    this.lockStmt = database.statement(sql`SELECT ${SELECT} FROM ${c} WHERE ${c.id} = ${p('id')}${database.dialect === 'postgresql' ? sql` FOR UPDATE` : sql``}`);
    this.refStmt = database.statement(
      sql`UPDATE ${c} SET ${bare(c.providerRef)} = ${p('ref')}, ${bare(c.updatedAt)} = ${p('now')} WHERE ${c.id} = ${p('id')} AND ${c.attempts} = ${p('attempts')} AND ${c.providerRef} IS NULL`,
    );
    this.byRefStmt = database.statement(sql`SELECT ${SELECT} FROM ${c} WHERE ${c.providerRef} = ${p('ref')} ORDER BY ${c.createdAt} DESC LIMIT 1`);
    // Also a row whose id just became `ref`: the dispatcher names the attempt in a unit of its own, which on
    // PostgreSQL may commit between a callback's look-up by id and this one (each statement sees the latest
    // commits), and the call would then match neither.
    this.unconfirmedStmt = database.statement(
      sql`SELECT ${SELECT} FROM ${c} WHERE ${c.msisdn} = ${p('msisdn')} AND ${c.status} = 'dialing' AND (${c.providerRef} IS NULL OR ${c.providerRef} = ${p('ref')}) ORDER BY ${c.dialedAt} DESC LIMIT 1`,
    );
    this.dueStmt = database.statement(sql`SELECT ${SELECT} FROM ${c} WHERE ${DUE} ORDER BY ${c.nextAttemptAt}, ${c.createdAt} LIMIT ${p('limit')}`);
    this.inFlightStmt = database.statement(sql`SELECT count(*) AS "n" FROM ${c} WHERE ${inFlight}`);
    this.staleStmt = database.statement(sql`SELECT ${SELECT} FROM ${c} WHERE ${inFlight} AND ${c.updatedAt} < ${p('cutoff')} ORDER BY ${c.updatedAt} LIMIT ${p('limit')}`);
    const claim = <P extends Claim>(set: SQL, also = sql``) => database.statement<CallRow, P>(sql`UPDATE ${c} SET ${set} WHERE ${c.id} = ${p('id')} AND ${DUE}${also} RETURNING ${SELECT}`);
    // Held to the end of the unit: a dial claimed by another process counts once it has committed.
    this.slotLock = database.dialect === 'postgresql' ? database.statement(sql`SELECT pg_advisory_xact_lock(${SLOT_LOCK}) AS "locked"`) : null;
    // A dial is claimed only while a slot is free, counted in the same statement (on SQLite, units take turns).
    this.dialStmt = claim(
      sql`${bare(c.status)} = 'dialing', ${bare(c.reason)} = NULL, ${bare(c.attempts)} = ${c.attempts} + 1, ${bare(c.nextAttemptAt)} = NULL, ${bare(c.provider)} = ${p('provider')},
          ${bare(c.providerRef)} = NULL, ${bare(c.dialedAt)} = ${p('now')}, ${bare(c.hangupCause)} = NULL, ${bare(c.updatedAt)} = ${p('now')}`,
      sql` AND (SELECT count(*) FROM ${c} WHERE ${inFlight}) < ${p('max')}`,
    );
    this.blockStmt = claim(
      sql`${bare(c.status)} = 'blocked', ${bare(c.reason)} = ${p('reason')}, ${bare(c.nextAttemptAt)} = NULL, ${bare(c.endedAt)} = ${p('now')}, ${bare(c.updatedAt)} = ${p('now')}`,
    );
    this.deferStmt = claim(sql`${bare(c.reason)} = ${p('reason')}, ${bare(c.nextAttemptAt)} = ${p('until')}, ${bare(c.updatedAt)} = ${p('now')}`);
    const d = callDials;
    this.pruneDialsStmt = database.statement(sql`DELETE FROM ${d} WHERE ${d.at} <= ${p('since')}`);
    this.dialsStmt = database.statement(sql`SELECT count(*) AS "n" FROM ${d} WHERE ${d.at} > ${p('since')}`);
    this.dialedStmt = database.statement(sql`INSERT INTO ${d} (${bare(d.callId)}, ${bare(d.attempt)}, ${bare(d.at)}) VALUES (${p('id')}, ${p('attempt')}, ${p('at')})`);
  }

  /** Stores a new call. */
  async insert(call: CallRow, tx: Tx): Promise<void> {
    await this.insertStmt.run(call, tx);
  }

  /** Writes every mutable field of a call. */
  async update(call: CallRow, tx: Tx): Promise<void> {
    await this.updateStmt.run(call, tx);
  }

  /** The call by our id. */
  async findById(id: string, tx?: Tx): Promise<CallRow | null> {
    return (await this.byIdStmt.get({ id }, tx)) ?? null;
  }

  /** The call by our id, to change inside unit `tx` (locked there on PostgreSQL). */
  async lockById(id: string, tx: Tx): Promise<CallRow | null> {
    return (await this.lockStmt.get({ id }, tx)) ?? null;
  }

  /** Names the provider's id of attempt `attempts` unless a callback already did; whether it did. */
  async setProviderRef(id: string, attempts: number, ref: string, now: number, tx: Tx): Promise<boolean> {
    return (await this.refStmt.run({ id, attempts, ref, now }, tx)) > 0;
  }

  /** The call whose current attempt the provider knows by `ref`. */
  async findByProviderRef(ref: string, tx?: Tx): Promise<CallRow | null> {
    return (await this.byRefStmt.get({ ref }, tx)) ?? null;
  }

  /** The latest call being dialled to a number whose provider id is not known yet, or is `ref` (the callback's). */
  async findUnconfirmedTo(msisdn: string, tx?: Tx, ref: string | null = null): Promise<CallRow | null> {
    return (await this.unconfirmedStmt.get({ msisdn, ref }, tx)) ?? null;
  }

  /** Calls whose next attempt is due at `now`, oldest first (candidates: a claim decides). */
  due(now: number, limit: number): Promise<CallRow[]> {
    return this.dueStmt.all({ now, limit });
  }

  /** How many calls hold a slot (dialing, ringing, in progress). */
  async inFlightCount(): Promise<number> {
    return (await this.inFlightStmt.get())?.n ?? 0;
  }

  /** Calls holding a slot that have heard nothing since before `cutoff`. */
  stale(cutoff: number, limit: number, tx?: Tx): Promise<CallRow[]> {
    return this.staleStmt.all({ cutoff, limit }, tx);
  }

  /**
   * Claims a due call for one more attempt through `provider` while fewer than `max` calls hold a slot
   * and, with `rate`, fewer than `rate.perSecond` dials were claimed in the real second before
   * `rate.wall`: the call as it now stands, or null when it is no longer due (another claimer took it),
   * every slot is taken or the second's dials are used up.
   */
  async claimDial(id: string, now: number, provider: string, max: number, tx: Tx, rate?: DialRate): Promise<CallRow | null> {
    if (this.slotLock) await this.slotLock.get(undefined, tx);
    if (rate) {
      // Under the same lock as the slot count (on SQLite, units take turns): the dials of the last real
      // second by every process, so together they stay within the provider's rate.
      const since = rate.wall - 1000;
      await this.pruneDialsStmt.run({ since }, tx);
      if (((await this.dialsStmt.get({ since }, tx))?.n ?? 0) >= rate.perSecond) return null;
    }
    const call = (await this.dialStmt.all({ id, now, provider, max }, tx))[0] ?? null;
    if (call && rate) await this.dialedStmt.run({ id, attempt: call.attempts, at: rate.wall }, tx);
    return call;
  }

  /** Blocks a due call (a policy refuses it now); null when it is no longer due. */
  async claimBlock(id: string, now: number, reason: string, tx: Tx): Promise<CallRow | null> {
    return (await this.blockStmt.all({ id, now, reason }, tx))[0] ?? null;
  }

  /** Moves a due call's next attempt to `until` (quiet hours); null when it is no longer due. */
  async claimDefer(id: string, now: number, reason: string, until: number, tx: Tx): Promise<CallRow | null> {
    return (await this.deferStmt.all({ id, now, reason, until }, tx))[0] ?? null;
  }
}
