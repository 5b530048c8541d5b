import { Type, type TSchema } from '@sinclair/typebox';

/**
 * The YAML shape of a flow file (documented in flows/README.md). The top level and each node type are
 * separate schemas so that an error names the node it is in; unknown keys are errors, to catch typos
 * such as `optons:` before a subscriber meets them.
 */

const Obj = <P extends Parameters<typeof Type.Object>[0]>(props: P) => Type.Object(props, { additionalProperties: false });

/** Text per language code; which languages are required is the validator's business. */
export const LocalizedSchema = Type.Record(Type.String(), Type.String());

/**
 * Where and when advice applies (docs/advice-context.md): a month outside 1-12 is an error here; values
 * that contradict an ancestor's or the profile schema's are warnings of the validator.
 */
export const ContextSchema = Obj({
  regions: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
  months: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 12 }), { minItems: 1 })),
  crops: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
});

const NodeCommon = {
  text: LocalizedSchema,
  audio: Type.Optional(LocalizedSchema),
  voice: Type.Optional(LocalizedSchema),
};

const Next = Type.String({ minLength: 1 });
/** Short codes and choice values written unquoted in YAML arrive as numbers; the loader makes them strings. */
const StringOrNumber = Type.Union([Type.String({ minLength: 1 }), Type.Number()]);

export const NODE_SCHEMAS: Record<string, TSchema> = {
  menu: Obj({
    type: Type.Literal('menu'),
    ...NodeCommon,
    context: Type.Optional(ContextSchema),
    options: Type.Array(Obj({ label: LocalizedSchema, next: Next, voice: Type.Optional(LocalizedSchema) })),
  }),
  content: Obj({
    type: Type.Literal('content'),
    ...NodeCommon,
    context: Type.Optional(ContextSchema),
    sms: Type.Optional(LocalizedSchema),
    next: Type.Optional(Next),
    nextLabel: Type.Optional(LocalizedSchema),
  }),
  input: Obj({
    type: Type.Literal('input'),
    ...NodeCommon,
    field: Type.String({ pattern: '^[a-zA-Z][a-zA-Z0-9_]*$' }),
    choices: Type.Optional(Type.Array(Obj({ value: StringOrNumber, label: LocalizedSchema }))),
    pattern: Type.Optional(Type.String({ minLength: 1 })),
    next: Next,
  }),
  action: Obj({
    type: Type.Literal('action'),
    ...NodeCommon,
    action: Type.Union([
      Type.Literal('set_language'),
      Type.Literal('subscribe'),
      Type.Literal('unsubscribe'),
      Type.Literal('send_sms'),
    ]),
    language: Type.Optional(Type.String()),
    service: Type.Optional(Type.String({ minLength: 1 })),
    content: Type.Optional(Type.String({ minLength: 1 })),
    next: Type.Optional(Next),
  }),
  poll: Obj({
    type: Type.Literal('poll'),
    ...NodeCommon,
    poll: Type.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9_-]*$' }),
    answers: Type.Array(LocalizedSchema),
    next: Type.Optional(Next),
  }),
  end: Obj({ type: Type.Literal('end'), ...NodeCommon }),
};

export const NODE_TYPES = Object.keys(NODE_SCHEMAS);

/** The top level of a flow file; `nodes` holds node objects checked one by one with NODE_SCHEMAS. */
export const FlowFileSchema = Obj({
  id: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]*$' }),
  title: Type.Optional(LocalizedSchema),
  languages: Type.Array(Type.String({ pattern: '^[a-z]{2,3}$' }), { minItems: 1 }),
  defaultLanguage: Type.Optional(Type.String()),
  languageNames: Type.Optional(LocalizedSchema),
  entry: Type.Optional(
    Obj({
      ussd: Type.Optional(Type.Array(Type.String())),
      ivr: Type.Optional(Type.Array(Type.String())),
      sms: Type.Optional(
        Type.Array(Obj({ keyword: Type.String({ minLength: 1 }), node: Type.String({ minLength: 1 }), shortCode: Type.Optional(StringOrNumber) })),
      ),
    }),
  ),
  start: Type.String({ minLength: 1 }),
  messages: Type.Optional(Type.Record(Type.String(), LocalizedSchema)),
  nodes: Type.Record(Type.String(), Type.Unknown()),
});
