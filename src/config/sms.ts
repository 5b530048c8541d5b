import { Type } from '@sinclair/typebox';
import { Obj } from './types';

/** An HTTP SMS aggregator account the outbox may send through (issue 13). */
export const SmsTransportSchema = Obj({
  id: Type.String({ minLength: 1 }),
  type: Type.Literal('africastalking', { description: 'the aggregator API spoken (SMPP binds stay under smpp.binds)' }),
  baseUrl: Type.String({ minLength: 1, default: 'https://api.africastalking.com', description: 'sandbox: https://api.sandbox.africastalking.com' }),
  username: Type.String({ minLength: 1 }),
  apiKey: Type.String({ minLength: 1 }),
  from: Type.Optional(Type.String({ minLength: 1, description: 'default sender (short code or sender id); none = the account default' })),
  operators: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'operator ids (see operators) routed here; [] = any number no other transport claims' }),
  maxInFlight: Type.Integer({ minimum: 1, default: 10, description: 'requests to the aggregator at once' }),
  timeoutMs: Type.Integer({ minimum: 100, default: 10_000 }),
});

/** SMS transports beside the SMPP binds. */
export const SmsSection = Obj({
  transports: Type.Array(SmsTransportSchema),
});
