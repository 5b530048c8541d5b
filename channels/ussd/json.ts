import type { FastifyRequest } from 'fastify';
import { badRequest } from '../../src/lib/errors';
import type { UssdDialect } from './dialect';

/**
 * The gateway's generic JSON dialect: `{ sessionId, msisdn, serviceCode, input }` where `input` is the
 * latest input only (empty on the first request); reply `{ text, end }`. Shortcut dials arrive in
 * `serviceCode` (`*384*1*1*2#`).
 */
export const jsonUssd: UssdDialect = {
  name: 'json',
  path: '/ussd/json',
  contentTypes: ['application/json'],
  parse(req: FastifyRequest, normalize) {
    const b = req.body;
    if (typeof b !== 'object' || b === null || Array.isArray(b)) throw badRequest('INVALID_BODY', 'The body must be a JSON object.');
    const body = b as Record<string, unknown>;
    const str = (name: string, max: number, required = true): string | null => {
      const v = body[name];
      if (v === undefined || v === null || v === '') {
        if (required) throw badRequest('MISSING_FIELD', `Field ${name} is required.`);
        return null;
      }
      if (typeof v !== 'string') throw badRequest('INVALID_FIELD', `Field ${name} must be a string.`);
      if (v.length > max) throw badRequest('INVALID_FIELD', `Field ${name} is longer than ${max} characters.`);
      return v;
    };
    const sessionKey = str('sessionId', 128)!;
    const raw = str('msisdn', 32)!;
    const msisdn = normalize(raw);
    if (!msisdn) throw badRequest('INVALID_MSISDN', `msisdn "${raw}" is not a phone number.`);
    const serviceCode = str('serviceCode', 64)!;
    const input = str('input', 1000, false);
    return { sessionKey, msisdn, serviceCode, input: { latest: input } };
  },
  render(reply, result) {
    return reply.send({ text: result.screen.text, end: result.end });
  },
};
