import { Type, type TSchema } from '@sinclair/typebox';

// Schema helpers shared by the config sections.

/** `t` or null; `whenNull` says what null means, for the error an operator reads. */
export const Nullable = <T extends TSchema>(t: T, whenNull?: string) => Type.Union([t, Type.Null(whenNull ? { description: whenNull } : {})]);
export const HHMM = Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', description: 'HH:MM, 24-hour clock' });
/** Text per language code, e.g. { en: "...", sw: "..." }. */
export const Localized = Type.Record(Type.String({ pattern: '^[a-z]{2,3}$' }), Type.String({ minLength: 1 }));
export const Obj = <P extends Parameters<typeof Type.Object>[0]>(props: P) => Type.Object(props, { additionalProperties: false });
