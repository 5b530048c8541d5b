import { Type } from '@sinclair/typebox';
import { Nullable, Obj } from './types';

/** Server, storage and the defaults every domain shares. */
export const ServerSection = Obj({
  host: Type.String(),
  port: Type.Integer({ minimum: 0, maximum: 65535 }),
  bodyLimit: Type.Integer({ minimum: 1024, description: 'largest request body in bytes; larger gets 413' }),
  trustProxy: Type.Boolean(),
  instanceId: Nullable(Type.String({ minLength: 1, maxLength: 100, pattern: '^\\S+$' }), 'host name and port, e.g. gw1:3000'),
});

export const DatabaseSection = Obj({
  path: Type.String(),
  synchronous: Type.Union([Type.Literal('normal'), Type.Literal('full')]),
  url: Nullable(Type.String(), 'SQLite at database.path'),
});

export const ApiSection = Obj({
  token: Nullable(Type.String({ minLength: 16 }), 'no token: /api/v1 answers 401 to every call'),
});

export const DefaultsSection = Obj({
  countryCode: Type.String({ pattern: '^[1-9]\\d{0,3}$' }),
  timezone: Type.String(),
  language: Type.String({ pattern: '^[a-z]{2,3}$' }),
});

export const FlowsSection = Obj({
  dir: Type.String(),
});

export const UssdSection = Obj({
  maxChars: Type.Integer({ minimum: 60, maximum: 182 }),
  sessionTimeoutSeconds: Type.Integer({ minimum: 10 }),
  resumeWindowSeconds: Type.Integer({ minimum: 0 }),
  maxInvalid: Type.Integer({ minimum: 1, maximum: 10 }),
});

export const CallbacksSection = Obj({
  secret: Nullable(Type.String({ minLength: 8 }), 'callbacks need no secret'),
  allowIps: Type.Array(Type.String()),
});

/** MSISDN prefix ranges that name an operator (routing, reports, operator time zones). */
export const OperatorSchema = Obj({
  id: Type.String({ minLength: 1 }),
  prefixes: Type.Array(Type.String({ pattern: '^\\+\\d+$' }), { minItems: 1 }),
  networkCodes: Type.Array(Type.String(), { default: [] }),
  timezone: Type.Optional(Type.String()),
});
