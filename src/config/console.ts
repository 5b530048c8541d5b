import { Type } from '@sinclair/typebox';
import { Obj } from './types';

/** The web console at /console (issue 14). */
export const ConsoleSection = Obj({
  enabled: Type.Boolean({ description: 'serve the web console at /console' }),
  sessionHours: Type.Number({ exclusiveMinimum: 0, maximum: 24 * 30, description: 'a login lasts this long' }),
  lockout: Obj({
    attempts: Type.Integer({ minimum: 1, maximum: 100, description: 'wrong passwords in a row that lock an account' }),
    minutes: Type.Number({ exclusiveMinimum: 0, description: 'how long a locked account stays locked' }),
  }),
  loginRateLimit: Obj({
    max: Type.Integer({ minimum: 1, description: 'login attempts one address may make per window' }),
    windowSeconds: Type.Integer({ minimum: 1 }),
  }),
});
