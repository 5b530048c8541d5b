import type { FastifyRequest } from 'fastify';
import type { Config } from '../../src/config';
import type { VoiceAnswer, VoiceRequest } from '../../src/voice/types';

/** What a dialect may use while parsing and rendering. */
export interface IvrDialectContext {
  config: Config;
  /** The URL the platform calls back on for `path` (public base URL, callback secret as ?secret=). */
  callbackUrl(path: string, query?: Record<string, string>): string;
  /** A fresh call id for platforms that send none (VoiceXML). */
  newCallRef(): string;
}

/** A reply the dialect writes without the voice service (VoiceXML bootstrap, a status acknowledgement). */
export interface LocalReply {
  kind: 'reply';
  body: string;
}

/** One voice platform's wire format: parse a request into a VoiceRequest, write the service's answer. */
export interface IvrDialect {
  name: string;
  path: string;
  /** HTTP methods the platform uses (default POST). */
  methods?: Array<'GET' | 'POST'>;
  /** Content types of request bodies this dialect accepts; anything else is 415. */
  contentTypes: string[];
  /** Content type of the replies. */
  replyType: string;
  /**
   * Proves the request comes from the platform (Twilio's signature); throws AppError (403) and the
   * request changes nothing. Runs before parsing.
   */
  authenticate?(req: FastifyRequest, ctx: IvrDialectContext): void;
  /** Parses the request; throws AppError (4xx) naming what is missing or wrong. */
  parse(req: FastifyRequest, ctx: IvrDialectContext): VoiceRequest | LocalReply;
  /** The reply body for the voice service's answer. */
  render(answer: VoiceAnswer, ctx: IvrDialectContext): string;
}
