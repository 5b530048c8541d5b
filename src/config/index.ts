import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { Value } from '@sinclair/typebox/value';
import { ConfigError } from '../lib/errors';
import { configErrorMessage } from './describe';
import { ConfigSchema, type Config } from './schema';
import { checkProfileConfig } from './profile';
import { DatabaseUrlError, parsePostgresUrl } from '../db/postgres/url';

export type { Config };
export { ConfigSchema };

/** config/default.yaml, shipped with the code. */
export const DEFAULT_CONFIG_FILE = fileURLToPath(new URL('../../config/default.yaml', import.meta.url));

type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Deep-merges `over` onto `base`: objects merge key by key, arrays and scalars replace. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlain(base) || !isPlain(over)) return over === undefined ? base : over;
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

function readYaml(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${file}: ${(e as Error).message}`);
  }
  try {
    return parseYaml(text) ?? {};
  } catch (e) {
    throw new ConfigError(`config file ${file} is not valid YAML: ${(e as Error).message}`);
  }
}

/** Environment overrides named in docs/contract.md. */
function envOverrides(env: NodeJS.ProcessEnv): Plain {
  const o: Plain = {};
  const set = (p: string, v: unknown) => {
    const keys = p.split('.');
    let cur = o;
    for (const k of keys.slice(0, -1)) cur = (cur[k] ??= {}) as Plain;
    cur[keys[keys.length - 1]!] = v;
  };
  if (env.PORT) set('server.port', Number(env.PORT));
  if (env.HOST) set('server.host', env.HOST);
  if (env.VASGW_INSTANCE_ID) set('server.instanceId', env.VASGW_INSTANCE_ID);
  if (env.DATABASE_PATH) set('database.path', env.DATABASE_PATH);
  if (env.DATABASE_URL) set('database.url', env.DATABASE_URL);
  if (env.LOG_LEVEL) set('logLevel', env.LOG_LEVEL);
  if (env.VASGW_API_TOKEN) set('api.token', env.VASGW_API_TOKEN);
  if (env.VASGW_TIMEZONE) {
    set('defaults.timezone', env.VASGW_TIMEZONE);
    set('messaging.timezone', env.VASGW_TIMEZONE);
  }
  return o;
}

function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Validates a merged config object; throws ConfigError naming the first bad key. */
export function validateConfig(raw: unknown): Config {
  const value = Value.Default(ConfigSchema, structuredClone(raw ?? {}));
  const first = Value.Errors(ConfigSchema, value).First();
  if (first) throw new ConfigError(configErrorMessage(first));
  const cfg = value as Config;
  for (const [key, tz] of [['defaults.timezone', cfg.defaults.timezone], ['messaging.timezone', cfg.messaging.timezone]] as const) {
    if (!isValidTimeZone(tz)) throw new ConfigError(`invalid config key ${key}: unknown time zone "${tz}"`);
  }
  checkProfileConfig(cfg.profile);
  if (cfg.database.url !== null) {
    try {
      parsePostgresUrl(cfg.database.url);
    } catch (e) {
      if (e instanceof DatabaseUrlError) throw new ConfigError(`invalid config key database.url (DATABASE_URL): ${e.message}`);
      throw e;
    }
  }
  return cfg;
}

export interface LoadOptions {
  /** An override file (--config or VASGW_CONFIG). */
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Extra overrides applied last (tests). */
  overrides?: unknown;
}

/** default.yaml, deep-merged with the override file, the environment and explicit overrides, validated. */
export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  let merged = readYaml(DEFAULT_CONFIG_FILE);
  const file = opts.file ?? env.VASGW_CONFIG;
  if (file) merged = deepMerge(merged, readYaml(path.resolve(file)));
  merged = deepMerge(merged, envOverrides(env));
  if (opts.overrides) merged = deepMerge(merged, opts.overrides);
  return validateConfig(merged);
}
