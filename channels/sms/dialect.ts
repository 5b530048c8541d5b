import type { FastifyReply, FastifyRequest } from 'fastify';
import type { MoRoute } from '../../src/messaging/mo-router';

/** What an aggregator's callback carries, normalized. */
export type SmsCallback =
  /** An incoming SMS (whole: aggregators reassemble). `externalId` null = no duplicate check. */
  | { kind: 'mo'; externalId: string | null; from: string; to: string; text: string; receivedAt: number | null }
  /** A delivery report for a message sent through the aggregator, by the aggregator's message id. */
  | { kind: 'receipt'; messageId: string; stat: string; err: string | null };

/** What became of a callback, for the dialect's answer. */
export type SmsCallbackResult = { kind: 'mo'; duplicate: boolean; route: MoRoute | null } | { kind: 'receipt' };

/** One aggregator callback's wire format: parse a request, render the acknowledgement. */
export interface SmsDialect {
  name: string;
  path: string;
  /** Names the aggregator: the key of its message ids (duplicates of incoming SMS, receipts). */
  source: string;
  /** Content types this dialect accepts; anything else is 415. */
  contentTypes: string[];
  /** Parses the request; throws AppError (400) naming what is missing or malformed. */
  parse(req: FastifyRequest, now: number): SmsCallback;
  /** The answer once what the callback carried is durable. */
  render(reply: FastifyReply, result: SmsCallbackResult): FastifyReply;
}
