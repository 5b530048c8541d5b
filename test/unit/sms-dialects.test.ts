import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { africasTalkingDelivery, africasTalkingIncoming } from '../../channels/sms/africastalking';
import type { SmsCallback, SmsDialect } from '../../channels/sms/dialect';
import { jsonInbound } from '../../channels/sms/json';
import { AppError } from '../../src/lib/errors';

const NOW = Date.parse('2026-11-20T09:00:00Z');
const req = (body: unknown) => ({ body }) as FastifyRequest;

/** Raw payloads in, the normalized callback (or the 400 code) out. */
const CASES: Array<[name: string, dialect: SmsDialect, body: unknown, out: SmsCallback | string]> = [
  ['AT incoming', africasTalkingIncoming, { from: '+254712345678', to: '20123', text: 'STOP', id: 'x1', date: '2026-11-20 08:59:00', linkId: 'l' },
    { kind: 'mo', externalId: 'x1', from: '+254712345678', to: '20123', text: 'STOP', receivedAt: Date.parse('2026-11-20T08:59:00Z') }],
  ['AT incoming, empty text, odd date', africasTalkingIncoming, { from: '123', to: '20123', text: '', id: 'x2', date: 'today' },
    { kind: 'mo', externalId: 'x2', from: '123', to: '20123', text: '', receivedAt: null }],
  ['AT incoming without id', africasTalkingIncoming, { from: '+254712345678', to: '20123', text: 'hi' }, 'MISSING_FIELD'],
  ['AT report Success', africasTalkingDelivery, { id: 'ATXid_1', status: 'Success', phoneNumber: '+254712345678', networkCode: '63902' },
    { kind: 'receipt', messageId: 'ATXid_1', stat: 'DELIVRD', err: null }],
  ['AT report Failed', africasTalkingDelivery, { id: 'ATXid_1', status: 'Failed', failureReason: 'InsufficientCredit' },
    { kind: 'receipt', messageId: 'ATXid_1', stat: 'UNDELIV', err: 'InsufficientCredit' }],
  ['AT report Rejected', africasTalkingDelivery, { id: 'ATXid_1', status: 'Rejected', failureReason: 'UserInBlacklist' },
    { kind: 'receipt', messageId: 'ATXid_1', stat: 'REJECTD', err: 'UserInBlacklist' }],
  ['AT report Buffered', africasTalkingDelivery, { id: 'ATXid_1', status: 'Buffered' }, { kind: 'receipt', messageId: 'ATXid_1', stat: 'ENROUTE', err: null }],
  ['AT report without status', africasTalkingDelivery, { id: 'ATXid_1' }, 'MISSING_FIELD'],
  ['JSON inbound', jsonInbound, { from: 'INFO', to: '20123', text: 'help', id: 'g1', receivedAt: '2026-11-20T08:00:00Z' },
    { kind: 'mo', externalId: 'g1', from: 'INFO', to: '20123', text: 'help', receivedAt: Date.parse('2026-11-20T08:00:00Z') }],
  ['JSON inbound without id', jsonInbound, { from: '0712345678', to: '20123', text: 'maize' }, { kind: 'mo', externalId: null, from: '0712345678', to: '20123', text: 'maize', receivedAt: null }],
  ['JSON inbound, text a number', jsonInbound, { from: 'INFO', to: '20123', text: 1 }, 'INVALID_FIELD'],
  ['JSON inbound, not an object', jsonInbound, [1, 2], 'INVALID_BODY'],
];

describe('SMS aggregator dialects', () => {
  it.each(CASES)('%s', (_name, dialect, body, out) => {
    if (typeof out === 'string') {
      let err: unknown;
      try {
        dialect.parse(req(body), NOW);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(AppError);
      expect(err).toMatchObject({ status: 400, code: out });
    } else expect(dialect.parse(req(body), NOW)).toEqual(out);
  });
});
