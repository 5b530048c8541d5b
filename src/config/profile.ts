import { Type, type Static } from '@sinclair/typebox';
import { ConfigError } from '../lib/errors';
import { Obj } from './types';

export const PROFILE_FIELD_TYPES = ['enum', 'integer', 'number', 'date', 'list', 'string'] as const;
export type ProfileFieldType = (typeof PROFILE_FIELD_TYPES)[number];

/** One typed profile field: `values` for enum and list, `min`/`max` for integer and number. */
export const ProfileFieldSchema = Obj({
  type: Type.Union(PROFILE_FIELD_TYPES.map((t) => Type.Literal(t)), { description: 'enum | integer | number | date | list | string' }),
  values: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { minItems: 1, maxItems: 500 })),
  min: Type.Optional(Type.Number()),
  max: Type.Optional(Type.Number()),
});
export type ProfileFieldSpec = Static<typeof ProfileFieldSchema>;

export const PROFILE_FIELD_NAME = '^[a-z][a-zA-Z0-9_]{0,31}$';

/** The typed subscriber profile (issue 10): what PATCH, import, flows and segments accept. */
export const ProfileSection = Obj({
  fields: Type.Record(Type.String({ pattern: PROFILE_FIELD_NAME }), ProfileFieldSchema, { description: 'field name -> { type, values?, min?, max? }' }),
});
export type ProfileConfig = Static<typeof ProfileSection>;

/** Names that are not profile fields (the subscriber's identity, activity and opt-out are never typed in). */
const RESERVED = ['msisdn', 'id', 'operator', 'crop', 'profile', 'optedOut', 'optedOutAt', 'firstSeenAt', 'lastSeenAt', 'updatedAt', 'ageBand', 'ageMin', 'ageMax'];

/** Checks what the schema cannot say (values only where they mean something, min <= max); throws naming the key. */
export function checkProfileConfig(p: ProfileConfig): void {
  for (const [name, f] of Object.entries(p.fields)) {
    const key = `profile.fields.${name}`;
    if (RESERVED.includes(name)) throw new ConfigError(`invalid config key ${key}: "${name}" is reserved and cannot be a profile field`);
    const hasValues = f.values !== undefined;
    if (f.type === 'enum' && !hasValues) throw new ConfigError(`invalid config key ${key}.values: an enum field needs its list of values`);
    if (hasValues && f.type !== 'enum' && f.type !== 'list') throw new ConfigError(`invalid config key ${key}.values: only enum and list fields take values (this one is ${f.type})`);
    if (hasValues && new Set(f.values!.map((v) => v.toLowerCase())).size !== f.values!.length) throw new ConfigError(`invalid config key ${key}.values: a value appears twice`);
    if (hasValues && f.values!.some((v) => /[;|]/.test(v))) throw new ConfigError(`invalid config key ${key}.values: values cannot contain ; or | (they separate list items in CSV)`);
    for (const b of ['min', 'max'] as const) {
      if (f[b] !== undefined && f.type !== 'integer' && f.type !== 'number') throw new ConfigError(`invalid config key ${key}.${b}: only integer and number fields take ${b} (this one is ${f.type})`);
    }
    if (f.min !== undefined && f.max !== undefined && f.min > f.max) throw new ConfigError(`invalid config key ${key}.min: ${f.min} is above max ${f.max}`);
  }
}
