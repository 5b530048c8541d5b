import { Type, type ObjectOptions, type SchemaOptions, type TObject, type TProperties, type TSchema } from '@sinclair/typebox';

// Building blocks for the /api/v1 route schemas. Fastify compiles them (requests with Ajv, coercing query
// strings; responses with fast-json-stringify) and @fastify/swagger turns them into /api/v1/openapi.json.

/**
 * The schema keyword naming the error code a failing field answers with (error-handler.ts reads it), so
 * a limit out of range stays `INVALID_LIMIT` now that the schema, not the handler, checks it.
 */
export const ERROR_CODE_KEYWORD = 'x-error-code';

/** The contract's error body: a stable code and a sentence saying what to fix. */
export const ErrorBody = Type.Object(
  {
    error: Type.Object(
      {
        code: Type.String({ description: 'Stable, machine-readable code, e.g. VALIDATION_ERROR, NOT_FOUND.' }),
        message: Type.String({ description: 'What was wrong, in a sentence; names the field when one is at fault.' }),
        details: Type.Optional(Type.Unknown()),
      },
      { additionalProperties: true },
    ),
  },
  { description: 'The request was refused; nothing was changed.' },
);

type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415;

/** Error responses for the given statuses; 401 (no or wrong bearer token) is always included. */
export function errors<S extends ErrorStatus>(...statuses: S[]): Record<S | 401, typeof ErrorBody> {
  const out = { 401: ErrorBody } as Record<S | 401, typeof ErrorBody>;
  for (const s of statuses) out[s] = ErrorBody;
  return out;
}

/** A string from a fixed list: one `enum` (Ajv then names the allowed values) rather than a union of literals. */
export const StringEnum = <const T extends readonly string[]>(values: T, opts: SchemaOptions = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...opts });

/** `T` or JSON null. */
export const Nullable = <T extends TSchema>(t: T, opts: SchemaOptions = {}) => Type.Union([t, Type.Null()], opts);

/** An ISO-8601 UTC timestamp as the gateway writes them. */
export const Timestamp = (opts: SchemaOptions = {}) => Type.String({ format: 'date-time', ...opts });

/** A timestamp that is null until the thing happens. */
export const MaybeTimestamp = (opts: SchemaOptions = {}) => Nullable(Timestamp(), opts);

/**
 * An object whose known fields are declared and documented while any other field passes through: the
 * serializer would otherwise drop fields a service adds (report sections, profile fields, CRM views).
 * Typed loosely, like the services that build these bodies.
 */
export const Open = <P extends TProperties>(props: P, opts: SchemaOptions = {}) =>
  Type.Unsafe<Record<string, unknown>>(Type.Object(props, { additionalProperties: true, ...opts }));

/** An open object of which nothing is fixed (a filter, a report section). */
export const AnyObject = (opts: SchemaOptions = {}) => Type.Object({}, { additionalProperties: true, ...opts });

/** `limit` for a list: a whole number from 1 to `max`, `def` when absent. */
export const Limit = (def: number, max: number) =>
  Type.Integer({ minimum: 1, maximum: max, default: def, [ERROR_CODE_KEYWORD]: 'INVALID_LIMIT', description: `How many items to return (1-${max}, default ${def}).` });

/** `{ items: [...] }`, the shape of every list. */
export const Items = <T extends TSchema>(item: T, opts: SchemaOptions = {}) => Type.Object({ items: Type.Array(item) }, opts);

/** Path parameter `:id`. */
export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100, description: 'The identifier the gateway returned on creation.' }) });

/** Text per language code in a response (input is checked against the stricter config `Localized`). */
export const LocalizedText = Type.Record(Type.String(), Type.String(), { description: 'Text per language code, e.g. { "en": "...", "sw": "..." }.' });

/**
 * A query string: a field with a default is optional on the wire (so the document does not mark it
 * required) yet always present in the handler, since Fastify's Ajv fills defaults in.
 */
export function QueryString<P extends TProperties>(props: P, opts: ObjectOptions = {}): TObject<P> {
  const o = Type.Object(props, opts);
  const plain = o as { required?: string[] };
  const required = (plain.required ?? []).filter((k) => (props[k] as { default?: unknown }).default === undefined);
  if (required.length > 0) plain.required = required;
  else delete plain.required;
  return o;
}

/** `t` with a description (the document's text for a response). */
export const Described = <T extends TSchema>(t: T, description: string): T => ({ ...t, description });
