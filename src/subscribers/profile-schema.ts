import type { ProfileConfig, ProfileFieldSpec } from '../config/profile';

/** A typed profile value as stored in `subscribers.profile` (JSON). */
export type ProfileValue = string | number | string[];

/** A field's spec, with the language enum widened to what the flows declare. */
export interface ProfileField extends ProfileFieldSpec {
  name: string;
}

/** Fields that live in their own column of `subscribers` rather than in the profile JSON. */
export const COLUMN_FIELDS = ['language', 'region'] as const;

/** Age bands of `by=ageBand` (age = the report year minus birthYear). */
export const AGE_BANDS = [
  { label: '<25', min: 0, max: 24 },
  { label: '25-34', min: 25, max: 34 },
  { label: '35-44', min: 35, max: 44 },
  { label: '45-54', min: 45, max: 54 },
  { label: '55+', min: 55, max: 200 },
] as const;

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const MAX_TEXT = 200;
const MAX_ITEMS = 50;

/** Why a value does not fit its field; `message` names the field and what it allows. */
export class ProfileValueError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const isDate = (s: string) => DATE_RE.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s);
const show = (v: unknown) => (typeof v === 'string' ? `"${v.slice(0, 40)}"` : JSON.stringify(v)?.slice(0, 40));

/**
 * The configured profile schema: coerces incoming values (JSON or CSV text) to their types, says what a
 * field allows, and checks stored values. One instance serves PATCH, import, flows, segments and migrate.
 */
export class ProfileSchema {
  private readonly byName = new Map<string, ProfileField>();

  constructor(config: ProfileConfig, flowLanguages: readonly string[] = []) {
    for (const [name, spec] of Object.entries(config.fields)) {
      const f: ProfileField = { name, ...spec };
      // A flow that speaks a language must be able to store it as a subscriber's choice.
      if (name === 'language' && f.type === 'enum') f.values = [...new Set([...(f.values ?? []), ...flowLanguages])];
      this.byName.set(name, f);
    }
  }

  /** The field or undefined. */
  field(name: string): ProfileField | undefined {
    return this.byName.get(name);
  }

  /** Every configured field name. */
  names(): string[] {
    return [...this.byName.keys()];
  }

  /** What the field accepts, in words (for error messages). */
  allowed(f: ProfileField): string {
    switch (f.type) {
      case 'enum':
        return `one of ${f.values!.join(', ')}`;
      case 'list':
        return f.values ? `a list of ${f.values.join(', ')} (separate several with ; or |)` : 'a list of texts (separate several with ; or |)';
      case 'integer':
      case 'number': {
        const kind = f.type === 'integer' ? 'a whole number' : 'a number';
        if (f.min !== undefined && f.max !== undefined) return `${kind} from ${f.min} to ${f.max}`;
        if (f.min !== undefined) return `${kind} of at least ${f.min}`;
        if (f.max !== undefined) return `${kind} of at most ${f.max}`;
        return kind;
      }
      case 'date':
        return 'a date as YYYY-MM-DD';
      case 'string':
        return `a text of at most ${MAX_TEXT} characters`;
    }
  }

  private fail(f: ProfileField, raw: unknown): never {
    throw new ProfileValueError(f.name, `${f.name}: ${show(raw)} is not allowed; ${f.name} must be ${this.allowed(f)}.`);
  }

  private enumValue(f: ProfileField, raw: string): string {
    const v = raw.trim().toLowerCase();
    const hit = f.values?.find((x) => x.toLowerCase() === v);
    if (f.values && hit === undefined) this.fail(f, raw);
    return hit ?? raw.trim();
  }

  /**
   * The typed value for `raw` (a JSON value, or text from CSV and flows: "1980", "maize;beans"); throws
   * ProfileValueError naming the field and what it allows. Enum and list values take the configured spelling.
   */
  coerce(name: string, raw: unknown): ProfileValue {
    const f = this.byName.get(name);
    if (!f) throw new ProfileValueError(name, `${name.slice(0, 40)} is not a profile field (fields: ${this.names().join(', ')}).`);
    switch (f.type) {
      case 'enum': {
        if (typeof raw !== 'string' || raw.trim() === '') this.fail(f, raw);
        return this.enumValue(f, raw);
      }
      case 'string': {
        if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
        if (typeof raw !== 'string' || raw.trim() === '' || raw.length > MAX_TEXT) this.fail(f, raw);
        return raw.trim();
      }
      case 'integer':
      case 'number': {
        let n: number;
        if (typeof raw === 'number') n = raw;
        else if (typeof raw === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(raw)) n = Number(raw);
        else this.fail(f, raw);
        if (!Number.isFinite(n) || (f.type === 'integer' && !Number.isInteger(n))) this.fail(f, raw);
        if ((f.min !== undefined && n < f.min) || (f.max !== undefined && n > f.max)) this.fail(f, raw);
        return n;
      }
      case 'date': {
        if (typeof raw !== 'string' || !isDate(raw.trim())) this.fail(f, raw);
        return raw.trim();
      }
      case 'list': {
        let items: unknown[];
        if (Array.isArray(raw)) items = raw;
        else if (typeof raw === 'string') items = raw.split(/[;|]/);
        else this.fail(f, raw);
        const out: string[] = [];
        for (const it of items) {
          if (typeof it !== 'string') this.fail(f, raw);
          const t = it.trim();
          if (t === '') continue;
          if (t.length > 100) this.fail(f, it);
          const v = this.enumValue(f, t);
          if (!out.includes(v)) out.push(v);
        }
        if (out.length > MAX_ITEMS) throw new ProfileValueError(f.name, `${f.name}: at most ${MAX_ITEMS} items.`);
        return out;
      }
    }
  }

  /** Why a stored value no longer fits the schema, or null when it does (`vasgw migrate`). */
  violation(name: string, stored: unknown): string | null {
    const f = this.byName.get(name);
    if (!f) return `not a profile field (fields: ${this.names().join(', ')})`;
    try {
      // Text where the type wants a number or a list ("1980", "maize;beans") is fixable, not a violation.
      this.coerce(name, stored);
      return null;
    } catch (e) {
      if (e instanceof ProfileValueError) return `must be ${this.allowed(f)}`;
      throw e;
    }
  }
}

/** The band label of an age (years), as in AGE_BANDS. */
export function ageBandOf(age: number): string {
  return AGE_BANDS.find((b) => age >= b.min && age <= b.max)?.label ?? (age < 0 ? '<25' : '55+');
}

/** SQL for the age band of `s` as of `year` (one CASE over birthYear; null when birthYear is unset). */
export function ageBandSql(year: number): string {
  const age = `(${year} - json_extract(s.profile, '$.birthYear'))`;
  const arms = AGE_BANDS.map((b, i) => (i === AGE_BANDS.length - 1 ? `ELSE '${b.label}'` : `WHEN ${age} <= ${b.max} THEN '${b.label}'`)).join(' ');
  return `CASE WHEN json_type(s.profile, '$.birthYear') IN ('integer', 'real') THEN CASE ${arms} END END`;
}
