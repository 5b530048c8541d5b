import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppError } from '../../src/lib/errors';
import type { ServiceCatalog } from '../../src/subscriptions/service-catalog';
import type { BillingNotification, IngestResult } from '../../src/subscriptions/types';

/** What a dialect may use while parsing. */
export interface BillingParseContext {
  /** E.164 form of a raw number, or null. */
  normalize: (raw: string) => string | null;
  catalog: ServiceCatalog;
  /** Receipt time, for platforms that send no event time. */
  now: number;
  /** SDP extensionInfo `fee` is in minor units; divide by this. */
  feeDivisor: number;
}

/** One billing platform's notification format: parse a request into a notification, render the answer. */
export interface BillingDialect {
  name: string;
  path: string;
  /** Content types this dialect accepts; anything else is 415. */
  contentTypes: string[];
  /** Parses the request; throws AppError (4xx) naming what is missing or wrong. */
  parse(req: FastifyRequest, ctx: BillingParseContext): BillingNotification;
  /** The answer for an ingested (or duplicate) notification. */
  render(reply: FastifyReply, result: IngestResult): FastifyReply;
  /** The answer for a rejected one, when the platform expects its own error format (SOAP fault). */
  renderError?(reply: FastifyReply, err: AppError): FastifyReply;
}
