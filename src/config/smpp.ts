import { Type } from '@sinclair/typebox';
import { Obj } from './types';

/** SMPP binds to operators' SMSCs and the partner listener (issue 3). */
export const SmppBindSchema = Obj({
  id: Type.String({ minLength: 1 }),
  host: Type.String({ minLength: 1 }),
  port: Type.Integer({ minimum: 1, maximum: 65535 }),
  systemId: Type.String({ minLength: 1, maxLength: 15 }),
  password: Type.String({ maxLength: 8 }),
  systemType: Type.String({ default: '' }),
  mode: Type.Union([Type.Literal('transceiver'), Type.Literal('transmitter'), Type.Literal('receiver')], { default: 'transceiver' }),
  tps: Type.Number({ minimum: 0, default: 0 }),
  window: Type.Integer({ minimum: 1, default: 50 }),
  sourceAddr: Type.String({ default: '' }),
  operator: Type.Optional(Type.String({ description: 'operator id (see operators) this bind serves; none = any' })),
  concatenation: Type.Union([Type.Literal('udh'), Type.Literal('sar')], { default: 'udh' }),
  responseTimeoutMs: Type.Integer({ minimum: 100, default: 10_000 }),
  enquireLinkSeconds: Type.Number({ exclusiveMinimum: 0, default: 30 }),
  smsc: Type.Optional(Type.String({ minLength: 1, description: 'binds naming the same SMSC share message ids (default host:port)' })),
  reconnect: Type.Object(
    {
      minSeconds: Type.Number({ exclusiveMinimum: 0, default: 1 }),
      maxSeconds: Type.Number({ exclusiveMinimum: 0, default: 60 }),
    },
    { additionalProperties: false, default: {} },
  ),
  authRetrySeconds: Type.Number({ exclusiveMinimum: 0, default: 300, description: 'wait after the SMSC refuses the credentials' }),
  throttlePauseMs: Type.Integer({ minimum: 0, default: 1000, description: 'pause after ESME_RTHROTTLED or ESME_RMSGQFUL' }),
  registeredDelivery: Type.Boolean({ default: true }),
  sourceTon: Type.Optional(Type.Integer({ minimum: 0, maximum: 6, description: 'default: 5 alphanumeric, 3 short code, 1 international' })),
  sourceNpi: Type.Optional(Type.Integer({ minimum: 0, maximum: 18 })),
  addressTon: Type.Optional(Type.Integer({ minimum: 0, maximum: 6, description: 'TON of replies to a non-phone address (short code "123"); default: 5 alphanumeric, 3 short code' })),
  addressNpi: Type.Optional(Type.Integer({ minimum: 0, maximum: 18, description: 'NPI of replies to a non-phone address; default 0' })),
});

/** A partner account on the SMPP listener. */
export const SmppAccountSchema = Obj({
  systemId: Type.String({ minLength: 1, maxLength: 15 }),
  password: Type.String({ minLength: 1, maxLength: 8 }),
  allowIps: Type.Array(Type.String(), { default: [] }),
  kind: Type.Union([Type.Literal('transactional'), Type.Literal('promotional')], { default: 'promotional' }),
});

export const SmppSection = Obj({
  binds: Type.Array(SmppBindSchema),
  server: Obj({
    host: Type.String(),
    port: Type.Integer({ minimum: 0, maximum: 65535 }),
    accounts: Type.Array(SmppAccountSchema),
    window: Type.Integer({ minimum: 1, description: 'unanswered deliver_sm towards a partner' }),
    responseTimeoutMs: Type.Integer({ minimum: 100 }),
    enquireLinkSeconds: Type.Number({ exclusiveMinimum: 0 }),
    failedBinds: Type.Object(
      {
        allowed: Type.Integer({ minimum: 1, description: 'failed binds from one address before answers slow down' }),
        delayMs: Type.Integer({ minimum: 0, description: 'first delay; doubles per further failure' }),
        maxDelayMs: Type.Integer({ minimum: 0 }),
      },
      { additionalProperties: false },
    ),
  }),
});
