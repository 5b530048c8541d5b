import type { FastifyRequest } from 'fastify';
import { jsonObject, msisdnField, stringField } from '../../src/lib/fields';
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
    const body = jsonObject(req.body);
    const sessionKey = stringField(body, 'sessionId', 128, true)!;
    const msisdn = msisdnField(stringField(body, 'msisdn', 32, true)!, 'msisdn', normalize);
    const serviceCode = stringField(body, 'serviceCode', 64, true)!;
    const input = stringField(body, 'input', 1000, false);
    return { sessionKey, msisdn, serviceCode, input: { latest: input } };
  },
  render(reply, result) {
    return reply.send({ text: result.screen.text, end: result.end });
  },
};
