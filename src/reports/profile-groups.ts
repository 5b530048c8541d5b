import { badRequest } from '../lib/errors';
import { AGE_BANDS, type ProfileSchema } from '../subscribers/profile-schema';

/** How a report groups subscribers by one profile field. */
export interface ProfileGrouping {
  field: string;
  /** A subscriber can sit in several groups (list fields): totals cannot be summed over groups. */
  overlapping: boolean;
  /** Groups in a fixed order when the field has one (enum values, age bands). */
  order: string[] | null;
}

/** The label of subscribers without a value for the field. */
export const NOT_SET = '(not set)';

/**
 * The grouping for `field` (a typed profile field, a column field or `ageBand`); 400 naming the field
 * and the choices otherwise.
 */
export function profileGrouping(schema: Pick<ProfileSchema, 'field' | 'names'>, field: string, extra: readonly string[] = []): ProfileGrouping {
  if (field === 'ageBand') {
    if (schema.field('birthYear')?.type !== 'integer') throw badRequest('INVALID_DIMENSION', 'ageBand needs the birthYear profile field (an integer) in config profile.fields.');
    return { field, overlapping: false, order: AGE_BANDS.map((b) => b.label) };
  }
  if (field === 'language' || field === 'region' || field === 'crop' || field === 'operator') {
    return { field, overlapping: false, order: schema.field(field)?.values ?? null };
  }
  const f = schema.field(field);
  if (!f) {
    const choices = [...new Set([...extra, ...schema.names(), 'ageBand'])];
    throw badRequest('INVALID_DIMENSION', `${field.slice(0, 40)} is not a profile field; by/field must be one of ${choices.join(', ')}.`);
  }
  if (f.type === 'list') return { field, overlapping: true, order: f.values ?? null };
  return { field, overlapping: false, order: f.type === 'enum' ? (f.values ?? null) : null };
}

/** Sorts group rows: the field's own order when it has one, then by size. */
export function sortGroups<T extends { value: string; size: number }>(rows: T[], order: string[] | null): T[] {
  const rank = (v: string) => (v === NOT_SET ? 1e9 : order ? (order.indexOf(v) === -1 ? 1e8 : order.indexOf(v)) : 0);
  return rows.sort((a, b) => rank(a.value) - rank(b.value) || b.size - a.size || a.value.localeCompare(b.value));
}
