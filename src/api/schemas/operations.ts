import { Type } from '@sinclair/typebox';
import { Nullable, Open, StringEnum, Timestamp } from './common';

// Response schema of GET /api/v1/operations/status (what `vasgw status` prints).

const Reason = Open({ code: Type.String({ description: 'Stable code: DATABASE_UNAVAILABLE, BIND_DOWN, NO_TRANSPORT, OLDEST_DUE_TOO_OLD, ...' }), message: Type.String(), check: Type.String({ description: 'The check that gave it.' }) });

const Bind = Open({
  id: Type.String(),
  mode: Type.String({ description: 'transceiver, transmitter or receiver.' }),
  operator: Nullable(Type.String()),
  address: Type.String({ description: 'host:port of the SMSC.' }),
  up: Nullable(Type.Boolean(), { description: 'null: unknown (read from the database alone).' }),
  state: Nullable(Type.String()),
  lastError: Nullable(Type.String()),
});

const Route = Open({
  operator: Type.String({ description: "An operator id, or `none` for numbers no operator's prefixes match." }),
  canCarry: Nullable(Type.Boolean(), { description: 'Whether a transport can take its messages now; null: unknown.' }),
  due: Type.Integer({ description: 'Messages waiting to go out now.' }),
  deferred: Type.Integer({ description: 'Messages waiting for a later time (quiet hours, retries).' }),
  sent: Type.Integer({ description: 'Messages sent, awaiting a delivery receipt.' }),
});

const RecentError = Open({
  messageId: Type.String(),
  operator: Nullable(Type.String()),
  status: Type.String(),
  error: Type.String(),
  errorCode: Nullable(Type.Integer()),
  bindId: Nullable(Type.String()),
  at: Timestamp(),
});

const CampaignRun = Open({
  runId: Type.Integer(),
  campaignId: Type.String(),
  name: Nullable(Type.String()),
  status: Type.String(),
  total: Type.Integer(),
  queued: Type.Integer(),
  leaseOwner: Nullable(Type.String()),
  leaseExpiresAt: Nullable(Timestamp()),
  startedAt: Nullable(Timestamp()),
});

/** 200 of GET /api/v1/operations/status. */
export const GatewayStatus = Open(
  {
    source: StringEnum(['gateway', 'database'] as const, { description: '`gateway`: live bind state and readiness; `database`: read from the database file alone.' }),
    at: Timestamp(),
    ready: Nullable(Type.Boolean()),
    reasons: Type.Array(Reason, { description: 'Why the gateway is not ready (empty when it is).' }),
    otherChecks: Type.Record(Type.String(), Open({ ok: Type.Boolean(), detail: Type.Optional(Type.Unknown()) }), { description: 'Readiness checks other than binds, database and outbox.' }),
    binds: Type.Array(Bind),
    routes: Type.Array(Route),
    queue: Open({ due: Type.Integer(), deferred: Type.Integer(), sent: Type.Integer() }, { description: 'The outbox summed over routes.' }),
    oldestDue: Nullable(Open({ operator: Type.String(), dueAt: Timestamp(), waitedSeconds: Type.Integer() }), { description: 'The message waiting longest; null when none is due.' }),
    lastErrors: Type.Array(RecentError, { description: 'Send errors of the last 24 hours, newest first (up to 10).' }),
    jobs: Open({ campaignRuns: Type.Array(CampaignRun), crmPass: Nullable(Open({ owner: Type.String(), expiresAt: Nullable(Timestamp()) }), { description: 'Who holds the CRM pass now; null when no pass runs.' }) }),
  },
  { description: 'Binds, routes and queue depths, the oldest due message, recent send errors and running jobs.' },
);
