import { Kind, type TSchema } from '@sinclair/typebox';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/value';

// Config errors are read by an operator whose gateway just refused to start: each says which key,
// what that key takes (in words, from the schema), and what it got. Values of secret keys are never
// repeated, only their length.

type Schema = TSchema & {
  [Kind]?: string;
  anyOf?: Schema[];
  const?: unknown;
  properties?: Record<string, Schema>;
  items?: Schema;
  description?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
};

const SECRET_KEYS = new Set(['token', 'secret', 'password', 'apikey']);

const kindOf = (s: Schema): string => s[Kind] ?? '';
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function range(s: Schema): string {
  const lo = s.minimum ?? (s.exclusiveMinimum !== undefined ? `more than ${s.exclusiveMinimum}` : undefined);
  const hi = s.maximum ?? (s.exclusiveMaximum !== undefined ? `less than ${s.exclusiveMaximum}` : undefined);
  if (typeof lo === 'number' && typeof hi === 'number') return ` from ${lo} to ${hi}`;
  if (typeof lo === 'number') return ` of at least ${lo}`;
  if (typeof hi === 'number') return ` of at most ${hi}`;
  return [lo, hi].filter(Boolean).map((x) => ` ${x}`).join(' and');
}

/** What a schema accepts, in words: `a string of at least 16 characters`, `one of "udh", "sar"`. */
export function describeSchema(s: Schema): string {
  switch (kindOf(s)) {
    case 'Literal':
      return JSON.stringify(s.const);
    case 'Null':
      return s.description ? `null (${s.description})` : 'null';
    case 'Boolean':
      return 'true or false';
    case 'Integer':
      return `an integer${range(s)}`;
    case 'Number':
      return `a number${range(s)}`;
    case 'String': {
      const { minLength: lo, maxLength: hi } = s;
      let text = 'a string';
      if (lo !== undefined && hi !== undefined) text += lo === hi ? ` of exactly ${plural(lo, 'character')}` : ` of ${lo} to ${hi} characters`;
      else if (lo !== undefined) text += ` of at least ${plural(lo, 'character')}`;
      else if (hi !== undefined) text += ` of at most ${plural(hi, 'character')}`;
      if (s.pattern && !s.description) text += ` matching ${s.pattern}`;
      return text;
    }
    case 'Object':
      return `an object with ${Object.keys(s.properties ?? {}).join(', ')}`;
    case 'Array':
      return s.items ? `a list of ${describeSchema(s.items).replace(/^an? /, '')} items` : 'a list';
    case 'Record':
      return 'a map of names to values';
    case 'Union': {
      const variants = s.anyOf ?? [];
      if (variants.every((v) => kindOf(v) === 'Literal')) return `one of ${variants.map((v) => JSON.stringify(v.const)).join(', ')}`;
      return variants.map(describeSchema).join(' or ');
    }
    default:
      return 'a valid value';
  }
}

/** Whether a value is of the kind a schema takes (its type, not its limits). */
function sameKind(s: Schema, value: unknown): boolean {
  switch (kindOf(s)) {
    case 'Null':
      return value === null;
    case 'Literal':
      return typeof value === typeof s.const;
    case 'String':
      return typeof value === 'string';
    case 'Integer':
    case 'Number':
      return typeof value === 'number';
    case 'Boolean':
      return typeof value === 'boolean';
    case 'Object':
    case 'Record':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'Array':
      return Array.isArray(value);
    default:
      return false;
  }
}

/**
 * The error worth reporting: inside a union, the one variant of the value's own kind when its fault is
 * deeper (`messaging.quietHours.start`); otherwise the union itself, whose description lists every option.
 */
function reportable(e: ValueError): ValueError {
  if (e.type !== ValueErrorType.Union) return e;
  const variants = (e.schema as Schema).anyOf ?? [];
  const matching = variants.map((v, i) => [v, i] as const).filter(([v]) => sameKind(v, e.value));
  if (matching.length !== 1) return e;
  const inner = e.errors[matching[0]![1]]?.First();
  return inner && inner.path.length > e.path.length ? reportable(inner) : e;
}

/** A JSON pointer (`/smpp/binds/0/mode`) as the operator writes the key: `smpp.binds[0].mode`. */
export function keyOf(pointer: string): string {
  return pointer.split('/').filter(Boolean).reduce((out, seg) => (/^\d+$/.test(seg) ? `${out}[${seg}]` : out ? `${out}.${seg}` : seg), '') || '(root)';
}

function shown(key: string, value: unknown): string {
  if (value === undefined) return 'nothing';
  const last = key.split('.').pop()?.replace(/\[\d+\]$/, '').toLowerCase() ?? '';
  if (SECRET_KEYS.has(last) && typeof value === 'string') return `a string of ${plural(value.length, 'character')}`;
  return (JSON.stringify(value) ?? typeof value).slice(0, 60);
}

/** The sentence start-up stops with for the first error of a config: key, what it takes, what it got. */
export function configErrorMessage(first: ValueError): string {
  const e = reportable(first);
  const key = keyOf(e.path);
  const schema = e.schema as Schema;
  if (e.type === ValueErrorType.ObjectAdditionalProperties) {
    const parent = keyOf(e.path.slice(0, e.path.lastIndexOf('/')));
    return `invalid config key ${key}: unknown key; ${parent} takes ${Object.keys(schema.properties ?? {}).join(', ')}`;
  }
  const hint = schema.description ? ` (${schema.description})` : '';
  return `invalid config key ${key}: expected ${describeSchema(schema)}${hint}; got ${shown(key, e.value)}`;
}
