import { sql } from 'drizzle-orm';
import { sqliteTable, integer, text, blob, index, uniqueIndex, primaryKey } from 'drizzle-orm/sqlite-core';
import { subscribers } from './core';

/**
 * The durable outbox: one row per message asked for (API, flows, MO replies, campaigns, partners),
 * written before the caller gets an answer. Status: queued -> sent -> delivered | failed | expired,
 * or blocked by a policy. The dispatcher claims rows in memory (a write per claim would cost a row
 * update per message); a row it held when the process died is still `queued` and is sent again after
 * restart (at-least-once).
 */
export const messages = sqliteTable(
  'messages',
  {
    id: text('id').primaryKey(),
    subscriberId: integer('subscriber_id').references(() => subscribers.id),
    msisdn: text('msisdn').notNull(),
    /** Sender (short code or alphanumeric); null = the bind's sourceAddr. */
    sender: text('sender'),
    text: text('text').notNull(),
    kind: text('kind').notNull(),
    source: text('source').notNull(),
    sourceRef: text('source_ref'),
    status: text('status').notNull(),
    /** Why blocked (opted_out, frequency_cap) or deferred (quiet_hours). */
    reason: text('reason'),
    /** Last send error as text (ESME_RINVDSTADR, timeout, ...) and its SMPP command_status. */
    error: text('error'),
    errorCode: integer('error_code'),
    /** Operator (config `operators`) the number belongs to: the routing lane. */
    operator: text('operator'),
    encoding: text('encoding').notNull(),
    parts: integer('parts').notNull(),
    /** 8-bit concatenation reference shared by the parts (kept across retries of missing parts). */
    concatRef: integer('concat_ref').notNull().default(0),
    /** Send attempts completed (sent, retried or failed). */
    attempts: integer('attempts').notNull().default(0),
    /** When the next attempt is due. */
    dueAt: integer('due_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    bindId: text('bind_id'),
    /** Partner messages: receipt asked for (0 no, 1 every final state, 2 failures only), and when it was handed over. */
    receiptRequested: integer('receipt_requested').notNull().default(0),
    receiptSentAt: integer('receipt_sent_at'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    sentAt: integer('sent_at'),
    deliveredAt: integer('delivered_at'),
    finalAt: integer('final_at'),
    /** The dispatcher (process) that holds the row for sending, and until when (epoch ms): the durable claim. */
    claimedBy: text('claimed_by'),
    claimExpiresAt: integer('claim_expires_at'),
  },
  (t) => [
    // Only queued rows: the claim reads nothing else, so a send or a final status takes the row out instead
    // of moving it under another status (and the key is a column shorter).
    index('messages_due_idx').on(t.operator, t.dueAt).where(sql`status = 'queued'`),
    index('messages_subscriber_idx').on(t.subscriberId, t.createdAt),
    index('messages_expiry_idx').on(t.status, t.expiresAt),
    index('messages_receipt_idx').on(t.source).where(sql`receipt_requested > 0 AND receipt_sent_at IS NULL AND final_at IS NOT NULL`),
  ],
);

/** Each part the SMSC accepted, with the SMSC's id for it; delivery receipts update these. */
export const messageParts = sqliteTable(
  'message_parts',
  {
    messageId: text('message_id').notNull().references(() => messages.id),
    seq: integer('seq').notNull(),
    /** Which SMSC gave the id (binds to one SMSC share it): ids are only unique per SMSC. */
    smsc: text('smsc').notNull(),
    /** The SMSC's message id, normalized (lower case, no leading zeros). */
    smscId: text('smsc_id').notNull(),
    bindId: text('bind_id').notNull(),
    status: text('status').notNull(),
    /** The receipt's `stat` (DELIVRD, UNDELIV, ...) and `err`. */
    dlrStat: text('dlr_stat'),
    dlrErr: text('dlr_err'),
    submittedAt: integer('submitted_at').notNull(),
    doneAt: integer('done_at'),
  },
  (t) => [primaryKey({ columns: [t.messageId, t.seq] }), index('message_parts_smsc_idx').on(t.smsc, t.smscId)],
);

/** Receipts that arrived before their submit_sm_resp was recorded; matched when it is. */
export const pendingReceipts = sqliteTable(
  'pending_receipts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    smsc: text('smsc').notNull(),
    smscId: text('smsc_id').notNull(),
    stat: text('stat').notNull(),
    err: text('err'),
    receivedAt: integer('received_at').notNull(),
  },
  (t) => [index('pending_receipts_smsc_idx').on(t.smsc, t.smscId), index('pending_receipts_at_idx').on(t.receivedAt)],
);

/**
 * Parts of concatenated messages (MO from subscribers, submits from partners) waiting for their
 * siblings. Durable because the part was acknowledged to the sender when it arrived.
 */
export const concatParts = sqliteTable(
  'concat_parts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** Sender, recipient, reference and total: what makes parts siblings. */
    groupKey: text('group_key').notNull(),
    seq: integer('seq').notNull(),
    total: integer('total').notNull(),
    dataCoding: integer('data_coding').notNull(),
    data: blob('data', { mode: 'buffer' }).notNull(),
    /** What the caller needs to act on the whole message (JSON). */
    meta: text('meta', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    receivedAt: integer('received_at').notNull(),
  },
  (t) => [uniqueIndex('concat_parts_group_seq_uq').on(t.groupKey, t.seq), index('concat_parts_at_idx').on(t.receivedAt)],
);

/**
 * SMS received through an HTTP aggregator (its own id makes retries duplicates) and SMS from senders
 * that are not phone numbers (short codes, alphanumeric senders), which have no subscriber profile:
 * their traffic is kept here under the address as received. MOs from phone numbers over SMPP are
 * recorded as `sms_in` usage events of their subscriber instead.
 */
export const inboundSms = sqliteTable(
  'inbound_sms',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** Where it came from: `africastalking`, `inbound` (POST /sms/inbound), `smpp:<bind id>`. */
    source: text('source').notNull(),
    /** The aggregator's id of the message; null when it gave none (no duplicate check then). */
    externalId: text('external_id'),
    /** Sender as received (E.164 when it was a phone number). */
    fromAddr: text('from_addr').notNull(),
    toAddr: text('to_addr').notNull(),
    text: text('text').notNull(),
    /** Set when the sender is a phone number (linked to its subscriber profile). */
    subscriberId: integer('subscriber_id').references(() => subscribers.id),
    /** How it was routed (opt_out, keyword, intercepted, ...). */
    route: text('route').notNull(),
    /** When the aggregator says it received it (epoch ms), else when we did. */
    receivedAt: integer('received_at').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [uniqueIndex('inbound_sms_source_ext_uq').on(t.source, t.externalId), index('inbound_sms_from_idx').on(t.fromAddr, t.createdAt)],
);
