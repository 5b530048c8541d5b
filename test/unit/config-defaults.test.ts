import { readFileSync } from 'node:fs';
import { Kind, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ConfigSchema, DEFAULT_CONFIG_FILE, loadConfig } from '../../src/config';
import { SmppBindSchema, SmppAccountSchema } from '../../src/config/smpp';

// One source of defaults. config/default.yaml holds every key with its default (the contract), so the
// schema holds none for those keys. Entries of lists (binds, partner accounts, services, operators)
// cannot have keys in default.yaml: their defaults live in the schema, and the commented examples in
// default.yaml that show them are checked against it here.

type Schema = TSchema & { [Kind]?: string; properties?: Record<string, Schema>; anyOf?: Schema[]; items?: Schema; default?: unknown; deprecated?: boolean };
type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

const yamlText = readFileSync(DEFAULT_CONFIG_FILE, 'utf8');
const yaml = parseYaml(yamlText) as Plain;

/** Every node of the schema outside list entries, with its key and the value default.yaml gives it. */
function* keyed(schema: Schema, value: unknown, at: string): Generator<{ key: string; schema: Schema; value: unknown; present: boolean }> {
  const kind = schema[Kind];
  if (kind === 'Union') {
    // A nullable section: walk the variant the shipped value takes.
    for (const v of schema.anyOf ?? []) if (v[Kind] === 'Object' && isPlain(value)) yield* keyed(v, value, at);
    return;
  }
  if (kind !== 'Object') return;
  for (const [k, s] of Object.entries(schema.properties ?? {})) {
    const key = at ? `${at}.${k}` : k;
    const present = isPlain(value) && Object.hasOwn(value, k);
    const v = present ? (value as Plain)[k] : undefined;
    yield { key, schema: s, value: v, present };
    yield* keyed(s, v, key);
  }
}

const nodes = [...keyed(ConfigSchema as Schema, yaml, '')];

/** The YAML inside a commented example block of default.yaml, between `# example <name>:` and a blank comment. */
function commentedExample(name: string): Plain {
  const lines = yamlText.split('\n');
  const start = lines.findIndex((l) => l.trim() === `# example ${name}:`);
  expect(start, `default.yaml has a "# example ${name}:" block`).toBeGreaterThanOrEqual(0);
  const block: string[] = [];
  for (const l of lines.slice(start + 1)) {
    const m = /^\s*# ?(.*)$/.exec(l);
    if (!m || m[1]!.trim() === '') break;
    block.push(m[1]!.replace(/\s+#.*$/, ''));
  }
  return parseYaml(block.join('\n')) as Plain;
}

/** The defaults the schema gives a list entry of which only the required keys are set. */
const entryDefaults = (schema: TSchema, required: Plain): Plain => Value.Default(schema, structuredClone(required)) as Plain;

describe('config defaults have one source', () => {
  it('config/default.yaml holds every key of the schema but the deprecated ones', () => {
    // A key marked `deprecated: true` is still accepted so older configs keep starting, but the shipped
    // defaults must not set it: its replacement holds the default, and setting both would hide the new key.
    const missing = nodes.filter((n) => !n.present && n.schema.deprecated !== true).map((n) => n.key);
    expect(missing).toEqual([]);
    const deprecated = nodes.filter((n) => n.schema.deprecated === true);
    expect(deprecated.filter((n) => n.present || n.schema.default !== undefined).map((n) => n.key)).toEqual([]);
  });

  it('an older config that still sets a deprecated key loads, keeping its value', () => {
    const config = loadConfig({ env: {}, overrides: { crm: { scores: { minCohortSize: 50 } } } });
    expect(config.crm.scores.minCohortSize).toBe(50);
    expect(config.crm.fits.minCohortSize).toBe((yaml as { crm: { fits: { minCohortSize: number } } }).crm.fits.minCohortSize);
  });

  it('the schema holds no default for a key default.yaml holds', () => {
    const doubled = nodes.filter((n) => n.schema.default !== undefined).map((n) => n.key);
    expect(doubled).toEqual([]);
  });

  it('config/default.yaml alone is a whole, valid config (nothing filled in from elsewhere)', () => {
    expect([...Value.Errors(ConfigSchema, yaml)].map((e) => `${e.path}: ${e.message}`)).toEqual([]);
    expect(loadConfig({ env: {} })).toEqual(yaml);
  });

  it('the example bind in default.yaml shows the schema defaults of a bind', () => {
    const example = commentedExample('bind');
    const required = { id: example.id, host: example.host, port: example.port, systemId: example.systemId, password: example.password };
    const defaults = entryDefaults(SmppBindSchema, required);
    expect(Value.Check(SmppBindSchema, example)).toBe(true);
    expect(example).toEqual(defaults);
  });

  it('the example partner account in default.yaml shows the schema defaults of an account', () => {
    const example = commentedExample('account');
    const defaults = entryDefaults(SmppAccountSchema, { systemId: example.systemId, password: example.password });
    expect(Value.Check(SmppAccountSchema, example)).toBe(true);
    expect(example).toEqual(defaults);
  });
});
