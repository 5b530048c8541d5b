import type { FastifyRequest } from 'fastify';
import { badRequest } from '../../src/lib/errors';
import { formField, msisdnField } from '../../src/lib/fields';
import type { UssdDialect } from './dialect';

/**
 * Africa's Talking USSD: a form post per hop whose `text` is the whole input history joined by `*`.
 * The session service replays what is new in the history (never just the last piece); on the first
 * request a non-empty `text` carries the extra digits of a shortcut dial (`*384*1*1*2#` -> "1*2").
 * Replies are `CON <screen>` (continue) or `END <screen>` as text/plain.
 */
export const africasTalkingUssd: UssdDialect = {
  name: 'africastalking',
  path: '/ussd/africastalking',
  contentTypes: ['application/x-www-form-urlencoded'],
  parse(req: FastifyRequest, normalize) {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const sessionKey = formField(body, 'sessionId', 128);
    const serviceCode = formField(body, 'serviceCode', 64);
    const msisdn = msisdnField(formField(body, 'phoneNumber', 32), 'phoneNumber', normalize);
    const text = typeof body.text === 'string' ? body.text : '';
    if (body.text !== undefined && typeof body.text !== 'string') throw badRequest('INVALID_FIELD', 'Form field text must be a string.');
    return {
      sessionKey,
      msisdn,
      serviceCode,
      input: { history: text === '' ? [] : text.split('*') },
      networkCode: typeof body.networkCode === 'string' && body.networkCode ? body.networkCode.slice(0, 16) : undefined,
    };
  },
  render(reply, result) {
    return reply.type('text/plain; charset=utf-8').send(`${result.end ? 'END' : 'CON'} ${result.screen.text}`);
  },
};
