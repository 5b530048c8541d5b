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
});

export const SmppSection = Obj({
  binds: Type.Array(SmppBindSchema, { default: [] }),
  server: Obj({
    host: Type.String({ default: '0.0.0.0' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 0 }),
    accounts: Type.Array(
      Obj({
        systemId: Type.String({ minLength: 1, maxLength: 15 }),
        password: Type.String({ minLength: 1, maxLength: 8 }),
        allowIps: Type.Array(Type.String(), { default: [] }),
      }),
      { default: [] },
    ),
  }),
});
