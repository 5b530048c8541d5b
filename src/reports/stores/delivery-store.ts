import { sql, type AnyColumn, type SQL } from 'drizzle-orm';
import { alias, SQLiteSyncDialect } from 'drizzle-orm/sqlite-core';
import { calls, messageParts, messages } from '../../db/schema';

/**
 * The delivery state as SQL over the outbox row (`messages`, `message_parts`) or the call row (`calls`)
 * an action points at, for the stores that join them: one source of truth, so a receipt or a provider
 * callback that arrives later changes every report at once. By default the fragments name the tables
 * unaliased (`"messages"."status"`), so a query using them joins `messages` and `calls` under their own
 * names; pass an alias (`alias(messages, 'm')`) for a query that aliases them.
 */

/** The columns of `messages` the SMS states read (the table or an alias of it). */
type MessageCols = { id: AnyColumn; status: AnyColumn; parts: AnyColumn };
/** The columns of `calls` the call states read (the table or an alias of it). */
type CallCols = { status: AnyColumn; answeredAt: AnyColumn; providerRef: AnyColumn; reason: AnyColumn };

/**
 * Whether `messages` row's SMS was accepted by the SMSC (any part): it left the outbox, whatever its receipt said.
 * 1 or 0 on both engines (PostgreSQL's EXISTS is a boolean, which a CASE cannot mix with integers).
 */
export const smsSent = (m: MessageCols = messages): SQL =>
  sql`CASE WHEN ${m.status} IN ('sent', 'delivered') THEN 1 WHEN ${m.status} IN ('failed', 'expired') AND EXISTS (SELECT 1 FROM ${messageParts} WHERE ${messageParts.messageId} = ${m.id}) THEN 1 ELSE 0 END`;

/**
 * How many parts of the `messages` row the SMSC accepted (what the operator bills: it bills on submit).
 * A message is `sent` only once every part was accepted, so only failed, expired and multi-part queued
 * messages (a retry of the missing parts) need the parts table.
 */
export const acceptedParts = (m: MessageCols = messages): SQL =>
  sql`CASE WHEN ${m.status} IN ('sent', 'delivered') THEN ${m.parts} WHEN ${m.status} = 'blocked' OR (${m.status} = 'queued' AND ${m.parts} = 1) THEN 0
     ELSE (SELECT count(*) FROM ${messageParts} WHERE ${messageParts.messageId} = ${m.id}) END`;

/** The delivery state of the `calls` row. A call picked up counts as answered whatever came after. */
export const callState = (c: CallCols = calls): SQL =>
  sql`CASE WHEN ${c.answeredAt} IS NOT NULL THEN 'answered'
     WHEN ${c.status} = 'queued' THEN 'queued'
     WHEN ${c.status} IN ('dialing', 'ringing', 'in_progress', 'retry_wait') THEN 'dialling'
     WHEN ${c.status} IN ('no_answer', 'busy') THEN 'not_answered'
     WHEN ${c.status} = 'blocked' THEN 'blocked'
     ELSE 'failed' END`;

/**
 * Whether the `calls` row was placed, i.e. the provider took the dial request (it named the attempt,
 * the phone rang unanswered or was picked up). A dial the provider refused (`provider_not_configured`,
 * an HTTP error) was never placed, though the row went through `dialing`.
 */
export const callPlaced = (c: CallCols = calls): SQL =>
  sql`(${c.providerRef} IS NOT NULL OR ${c.answeredAt} IS NOT NULL OR ${c.status} IN ('ringing', 'in_progress', 'completed', 'no_answer', 'busy') OR ${c.reason} IN ('no_answer', 'busy'))`;

// The same fragments as text over a table alias, for the campaign and poll repositories that still
// compose SQL strings: rendered from the fragments above, so there is one definition of each state.

const dialect = new SQLiteSyncDialect();
/** The fragment's text (it has no bound values: every literal is in the text). */
const text = (q: SQL): string => dialect.sqlToQuery(q).sql;

/** SQL text: the delivery state of the SMS in row alias `m` (the outbox status is already one of SMS_STATES). */
export const smsStateSql = (m: string): string => text(sql`${alias(messages, m).status}`);

/** SQL text: whether the SMSC accepted message `m` (any part). */
export const smsSentSql = (m: string): string => text(smsSent(alias(messages, m)));

/** SQL text: how many parts of message `m` the SMSC accepted. */
export const acceptedPartsSql = (m: string): string => text(acceptedParts(alias(messages, m)));

/** SQL text: the delivery state of the call in row alias `c`. */
export const callStateSql = (c: string): string => text(callState(alias(calls, c)));

/** SQL text: whether the call in row alias `c` was placed. */
export const callPlacedSql = (c: string): string => text(callPlaced(alias(calls, c)));
