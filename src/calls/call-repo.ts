import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/client';
import type { MessageKind } from '../messaging/types';
import type { CallStatus } from './types';

/** One outbound call as the queue keeps it. */
export interface CallRow {
  id: string;
  subscriberId: number;
  msisdn: string;
  flowId: string;
  startNode: string | null;
  kind: MessageKind;
  source: string;
  sourceRef: string | null;
  status: CallStatus;
  reason: string | null;
  attempts: number;
  nextAttemptAt: number | null;
  provider: string | null;
  providerRef: string | null;
  sessionId: string | null;
  hangupCause: string | null;
  durationSeconds: number | null;
  amount: number | null;
  currency: string | null;
  createdAt: number;
  updatedAt: number;
  dialedAt: number | null;
  answeredAt: number | null;
  endedAt: number | null;
}

interface Row {
  id: string;
  subscriber_id: number;
  msisdn: string;
  flow_id: string;
  start_node: string | null;
  kind: string;
  source: string;
  source_ref: string | null;
  status: string;
  reason: string | null;
  attempts: number;
  next_attempt_at: number | null;
  provider: string | null;
  provider_ref: string | null;
  session_id: string | null;
  hangup_cause: string | null;
  duration_seconds: number | null;
  amount: number | null;
  currency: string | null;
  created_at: number;
  updated_at: number;
  dialed_at: number | null;
  answered_at: number | null;
  ended_at: number | null;
}

const fromRow = (r: Row): CallRow => ({
  id: r.id,
  subscriberId: r.subscriber_id,
  msisdn: r.msisdn,
  flowId: r.flow_id,
  startNode: r.start_node,
  kind: r.kind as MessageKind,
  source: r.source,
  sourceRef: r.source_ref,
  status: r.status as CallStatus,
  reason: r.reason,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  provider: r.provider,
  providerRef: r.provider_ref,
  sessionId: r.session_id,
  hangupCause: r.hangup_cause,
  durationSeconds: r.duration_seconds,
  amount: r.amount,
  currency: r.currency,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  dialedAt: r.dialed_at,
  answeredAt: r.answered_at,
  endedAt: r.ended_at,
});

/** Statuses during which a call holds one of the simultaneous-call slots. */
export const IN_FLIGHT: readonly CallStatus[] = ['dialing', 'ringing', 'in_progress'];
/** Statuses after which nothing more happens to a call. */
export const FINAL: readonly CallStatus[] = ['completed', 'no_answer', 'busy', 'failed', 'blocked', 'cancelled'];

const COLUMNS =
  'id, subscriber_id, msisdn, flow_id, start_node, kind, source, source_ref, status, reason, attempts, next_attempt_at, provider, provider_ref, session_id, hangup_cause, duration_seconds, amount, currency, created_at, updated_at, dialed_at, answered_at, ended_at';
const PARAMS =
  '@id, @subscriberId, @msisdn, @flowId, @startNode, @kind, @source, @sourceRef, @status, @reason, @attempts, @nextAttemptAt, @provider, @providerRef, @sessionId, @hangupCause, @durationSeconds, @amount, @currency, @createdAt, @updatedAt, @dialedAt, @answeredAt, @endedAt';

/** Data access for the call queue (prepared statements: the dispatcher and every voice callback use it). */
export class CallRepo {
  private readonly insertStmt: Statement;
  private readonly updateStmt: Statement;
  private readonly byId: Statement<[string], Row>;
  private readonly byRef: Statement<[string], Row>;
  private readonly unconfirmedTo: Statement<[string], Row>;
  private readonly dueStmt: Statement<[number, number], Row>;
  private readonly inFlightStmt: Statement<[], { n: number }>;
  private readonly staleStmt: Statement<[number, number], Row>;

  constructor(db: Db) {
    const c = db.$client;
    const inFlight = IN_FLIGHT.map((s) => `'${s}'`).join(', ');
    this.insertStmt = c.prepare(`INSERT INTO calls (${COLUMNS}) VALUES (${PARAMS})`);
    this.updateStmt = c.prepare(`UPDATE calls SET status = @status, reason = @reason, attempts = @attempts, next_attempt_at = @nextAttemptAt,
      provider = @provider, provider_ref = @providerRef, session_id = @sessionId, hangup_cause = @hangupCause, duration_seconds = @durationSeconds,
      amount = @amount, currency = @currency, updated_at = @updatedAt, dialed_at = @dialedAt, answered_at = @answeredAt, ended_at = @endedAt
      WHERE id = @id`);
    this.byId = c.prepare(`SELECT ${COLUMNS} FROM calls WHERE id = ?`);
    this.byRef = c.prepare(`SELECT ${COLUMNS} FROM calls WHERE provider_ref = ? ORDER BY created_at DESC LIMIT 1`);
    this.unconfirmedTo = c.prepare(
      `SELECT ${COLUMNS} FROM calls WHERE msisdn = ? AND status = 'dialing' AND provider_ref IS NULL ORDER BY dialed_at DESC LIMIT 1`,
    );
    this.dueStmt = c.prepare(
      `SELECT ${COLUMNS} FROM calls WHERE status IN ('queued', 'retry_wait') AND next_attempt_at <= ? ORDER BY next_attempt_at, created_at LIMIT ?`,
    );
    this.inFlightStmt = c.prepare(`SELECT count(*) AS n FROM calls WHERE status IN (${inFlight})`);
    this.staleStmt = c.prepare(`SELECT ${COLUMNS} FROM calls WHERE status IN (${inFlight}) AND updated_at < ? ORDER BY updated_at LIMIT ?`);
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
    const r = this.byId.get(id);
    return r ? fromRow(r) : null;
  }

  /** The call whose current attempt the provider knows by `ref`. */
  findByProviderRef(ref: string): CallRow | null {
    const r = this.byRef.get(ref);
    return r ? fromRow(r) : null;
  }

  /** The latest call being dialled to a number whose provider id is not known yet. */
  findUnconfirmedTo(msisdn: string): CallRow | null {
    const r = this.unconfirmedTo.get(msisdn);
    return r ? fromRow(r) : null;
  }

  /** Calls whose next attempt is due at `now`, oldest first. */
  due(now: number, limit: number): CallRow[] {
    return this.dueStmt.all(now, limit).map(fromRow);
  }

  /** How many calls hold a slot (dialing, ringing, in progress). */
  inFlightCount(): number {
    return this.inFlightStmt.get()!.n;
  }

  /** Calls holding a slot that have heard nothing since before `cutoff`. */
  stale(cutoff: number, limit: number): CallRow[] {
    return this.staleStmt.all(cutoff, limit).map(fromRow);
  }
}
