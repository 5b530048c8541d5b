import { Type } from '@sinclair/typebox';
import { MaybeTimestamp, Nullable, Open, StringEnum, Timestamp } from './common';

// Request and response schemas of /api/v1/messages and /api/v1/calls.

const Kind = StringEnum(['transactional', 'promotional'] as const, { description: 'Promotional sends obey opt-outs, quiet hours and frequency caps.' });

/** POST /api/v1/messages. */
export const SendBody = Type.Object(
  {
    to: Type.String({ minLength: 1, maxLength: 32, description: 'Phone number: +2547..., 2547... or 07...' }),
    text: Type.String({ minLength: 1, maxLength: 5000 }),
    from: Type.Optional(Type.String({ minLength: 1, maxLength: 16, description: 'Sender id; the configured default when absent.' })),
    kind: Type.Optional(Kind),
    notBefore: Type.Optional(Type.String({ minLength: 1, maxLength: 40, description: 'Earliest send time, ISO-8601.' })),
  },
  { additionalProperties: false },
);

/** What a send or a dial request became: queued, or blocked by a policy (with the reason). */
const Accepted = {
  id: Type.String(),
  status: StringEnum(['queued', 'blocked'] as const),
  reason: Type.Optional(Type.String({ description: 'Why it was blocked (opted_out, frequency_cap) or deferred (quiet_hours).' })),
  sendAt: Type.Optional(Timestamp({ description: 'When a deferred send goes out.' })),
};

/** 202 of POST /api/v1/messages. */
export const MessageAccepted = Type.Object({ ...Accepted, parts: Type.Integer({ description: 'SMS parts the text needs.' }) });

/** GET /api/v1/messages/:id. */
export const Message = Open({
  id: Type.String(),
  to: Type.String(),
  from: Nullable(Type.String()),
  text: Type.String(),
  kind: Kind,
  status: StringEnum(['queued', 'sent', 'delivered', 'failed', 'expired', 'blocked'] as const),
  reason: Nullable(Type.String()),
  parts: Type.Integer(),
  partsSent: Type.Integer(),
  partsDelivered: Type.Integer(),
  encoding: Type.String(),
  attempts: Type.Integer(),
  error: Nullable(Type.String()),
  source: Type.String(),
  sourceRef: Nullable(Type.String()),
  createdAt: MaybeTimestamp(),
  sendAt: MaybeTimestamp(),
  sentAt: MaybeTimestamp(),
  deliveredAt: MaybeTimestamp(),
  finalAt: MaybeTimestamp(),
  expiresAt: MaybeTimestamp(),
});

/** POST /api/v1/calls. */
export const CallBody = Type.Object(
  {
    to: Type.String({ minLength: 1, maxLength: 32, description: 'Phone number: +2547..., 2547... or 07...' }),
    flowId: Type.String({ minLength: 1, maxLength: 64, description: 'The flow the answered call runs.' }),
    startNode: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    kind: Type.Optional(Kind),
  },
  { additionalProperties: false },
);

/** 202 of POST /api/v1/calls. */
export const CallAccepted = Type.Object(Accepted);

/** GET /api/v1/calls/:id. */
export const Call = Open({
  id: Type.String(),
  to: Type.String(),
  flowId: Type.String(),
  startNode: Nullable(Type.String()),
  kind: Kind,
  source: Type.String(),
  status: StringEnum(['queued', 'dialing', 'ringing', 'in_progress', 'completed', 'no_answer', 'busy', 'failed', 'blocked', 'retry_wait', 'cancelled'] as const),
  reason: Nullable(Type.String()),
  attempts: Type.Integer(),
  maxAttempts: Type.Integer(),
  nextAttemptAt: MaybeTimestamp(),
  sessionId: Nullable(Type.String()),
  hangupCause: Nullable(Type.String()),
  durationSeconds: Nullable(Type.Number()),
  cost: Nullable(Open({ amount: Type.Number(), currency: Nullable(Type.String()) })),
  createdAt: MaybeTimestamp(),
  dialedAt: MaybeTimestamp(),
  answeredAt: MaybeTimestamp(),
  endedAt: MaybeTimestamp(),
});
