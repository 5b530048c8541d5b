import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HopInput, HopResult } from '../../src/sessions/session-service';

/** A USSD hop as every dialect normalizes it. */
export interface UssdHop {
  sessionKey: string;
  msisdn: string;
  serviceCode: string;
  input: HopInput;
  networkCode?: string | undefined;
}

/** One aggregator's USSD wire format: parse a request into a hop, render the engine's screen. */
export interface UssdDialect {
  name: string;
  path: string;
  /** Content types this dialect accepts; anything else is 415. */
  contentTypes: string[];
  /** Parses the request; throws AppError (400) for missing or malformed fields. */
  parse(req: FastifyRequest, normalize: (raw: string) => string | null): UssdHop;
  /** Writes the reply for a processed hop. */
  render(reply: FastifyReply, result: HopResult): FastifyReply;
}
